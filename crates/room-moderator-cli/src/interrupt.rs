//! The operator's interrupts during a job (`kick`, `kick-all`, `ban`): the first Ctrl-C (SIGINT)
//! or SIGTERM stops sending and waits for the calls in flight, so that their users get the
//! provider's real outcome and the others a `cancelled` "not sent: stopped"; a second one abandons
//! the calls in flight (their users' outcomes then say the provider may or may not have acted).

use std::future::Future;
use std::process::ExitCode;

use room_moderator::StopSignal;

/// Exit status after an interrupt (128 + SIGINT), as shells report it, drained or abandoned.
pub const INTERRUPTED: u8 = 130;

/// The end of a job stopped at a first interrupt, once its calls in flight answered.
pub fn stopped_exit() -> ExitCode {
    eprintln!("moderator: stopped: the calls in flight were answered; nothing else was sent");
    ExitCode::from(INTERRUPTED)
}

/// The end of a job abandoned at a second interrupt (`what`: who may or may not have been
/// removed).
pub fn abandoned_exit(what: &str) -> ExitCode {
    eprintln!(
        "moderator: interrupted: calls in flight may or may not have removed {what}; nothing else was sent"
    );
    ExitCode::from(INTERRUPTED)
}

/// How a job watched by [`Interrupts::run`] ended.
pub enum Ended<T> {
    /// The job returned: by itself, or (`stopped`) after a first interrupt, once its calls in
    /// flight had answered.
    Done { value: T, stopped: bool },
    /// A second interrupt came before that: the job's future was dropped.
    Abandoned,
}

/// The stop every moderator of a job is built with, and the signals that trigger it.
pub struct Interrupts {
    stop: StopSignal,
    signals: Signals,
}

impl Interrupts {
    /// Listens from now on, stopping `stop` (the signal the job's moderators were built with,
    /// `Builder::with_stop`) at the first interrupt: SIGINT and SIGTERM no longer end the
    /// process, they reach [`Interrupts::run`]. Call it right before sending, after any prompt.
    pub fn listen(stop: &StopSignal) -> Self {
        Interrupts {
            stop: stop.clone(),
            signals: Signals::new(),
        }
    }

    /// Runs `job` to its end: a first interrupt stops sending (saying how many calls it waits
    /// for, on stderr) and lets the job finish; a second abandons it.
    pub async fn run<T>(&mut self, job: impl Future<Output = T>) -> Ended<T> {
        let mut job = std::pin::pin!(job);
        let mut stopped = false;
        loop {
            tokio::select! {
                value = &mut job => return Ended::Done { value, stopped },
                () = self.signals.next() => {
                    if stopped {
                        return Ended::Abandoned;
                    }
                    stopped = true;
                    self.stop.stop();
                    let calls = self.stop.in_flight();
                    eprintln!(
                        "moderator: stopping: waiting for {calls} call{} in flight (Ctrl-C again to abandon {})",
                        if calls == 1 { "" } else { "s" },
                        if calls == 1 { "it" } else { "them" },
                    );
                }
            }
        }
    }
}

/// SIGINT and SIGTERM, each registered once so that none is lost between two waits.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    #[cfg(not(unix))]
    fn new() -> Self {
        Signals {}
    }

    /// The next SIGINT or SIGTERM.
    #[cfg(unix)]
    async fn next(&mut self) {
        let Signals {
            interrupt,
            terminate,
        } = self;
        tokio::select! {
            () = next_of(interrupt) => {}
            () = next_of(terminate) => {}
        }
    }

    /// The next Ctrl-C.
    #[cfg(not(unix))]
    async fn next(&mut self) {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The next delivery of `signal`; never, where it could not be registered.
#[cfg(unix)]
async fn next_of(signal: &mut Option<tokio::signal::unix::Signal>) {
    let delivered = match signal {
        Some(signal) => signal.recv().await.is_some(),
        None => false,
    };
    if !delivered {
        std::future::pending::<()>().await;
    }
}
