//! One emulated ZEGO product on its own listener: `GET /?Action=...` plus the shared admin routes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::get;

use super::auth::{self, SeenNonces};
use super::wire::{Params, Reply};
use super::{Kick, ZegoConfig, rtc, zim};
use crate::{Admission, Controls, MemberRooms, RoomDirectory, Server, admin, fault_response};

/// Which product a listener emulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Product {
    Zim,
    Rtc,
}

impl Product {
    fn action(self) -> &'static str {
        match self {
            Product::Zim => "KickoutRoomUser",
            Product::Rtc => "KickoutUser",
        }
    }

    /// The product's own answer to a request over its rate limit: HTTP 200 like every ZEGO answer, and
    /// no `Retry-After` (ZEGO documents none), even for a scripted throttle that asks for one.
    fn throttled(self) -> Reply {
        match self {
            Product::Zim => {
                Reply::refused(660300005, "call frequency exceeds the AppID-level limit")
            }
            Product::Rtc => Reply::refused(206, "app QPS limited"),
        }
    }
}

/// Removals that happened, in order.
#[derive(Clone, Debug, Default)]
pub(super) struct KickLog(Arc<Mutex<Vec<Kick>>>);

impl KickLog {
    pub(super) fn record(&self, kick: Kick) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(kick);
    }

    fn all(&self) -> Vec<Kick> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// What a product's handler works on.
#[derive(Debug)]
pub(super) struct Shared {
    pub product: Product,
    pub config: ZegoConfig,
    pub controls: Controls,
    pub rooms: MemberRooms,
    pub kicks: KickLog,
    pub nonces: SeenNonces,
    request_ids: AtomicU64,
}

/// The admin API's view of the rooms; resetting also forgets removals and seen nonces.
struct Directory(Arc<Shared>);

impl RoomDirectory for Directory {
    fn seed(&self, room: &str, users: &[String]) {
        self.0.rooms.seed(room, users);
    }

    fn members(&self, room: &str) -> Option<Vec<String>> {
        self.0.rooms.members(room)
    }

    fn clear(&self) {
        self.0.rooms.clear();
        self.0.kicks.clear();
        self.0.nonces.clear();
    }
}

async fn handle(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let request_id = shared.request_ids.fetch_add(1, Ordering::Relaxed);
    let reply = match shared.controls.admit("GET", target).await {
        Admission::Proceed => answer(&shared, &Params::parse(uri.query().unwrap_or(""))),
        Admission::Throttled { .. } => shared.product.throttled(),
        Admission::Fault(fault) => return fault_response(fault),
    };
    if reply.violation {
        shared.controls.record_violation(&reply.message);
    }
    reply.into_response(request_id)
}

fn answer(shared: &Shared, params: &Params) -> Reply {
    match params.get("Action") {
        None => return Reply::rejected(100000006, "Action is empty"),
        Some(action) if action != shared.product.action() => {
            return Reply::rejected(100000007, format!("Action {action:?} is not supported"));
        }
        Some(_) => {}
    }
    if let Err(reply) = auth::verify(&shared.config, &shared.nonces, params, SystemTime::now()) {
        return reply;
    }
    match shared.product {
        Product::Zim => zim::kick(shared, params),
        Product::Rtc => rtc::kick(shared, params),
    }
}

/// One emulated ZEGO product (ZIM or Express RTC): its listener, rooms, controls and removals.
#[derive(Debug)]
pub struct ZegoService {
    server: Server,
    shared: Arc<Shared>,
}

impl ZegoService {
    pub(super) async fn start(
        product: Product,
        config: ZegoConfig,
        addr: SocketAddr,
    ) -> std::io::Result<Self> {
        let rate = match product {
            Product::Zim => config.zim_rate_per_second,
            Product::Rtc => config.rtc_rate_per_second,
        };
        let shared = Arc::new(Shared {
            product,
            config,
            controls: Controls::new(rate),
            rooms: MemberRooms::default(),
            kicks: KickLog::default(),
            nonces: SeenNonces::default(),
            request_ids: AtomicU64::new(1_000_000_001),
        });
        let directory: Arc<dyn RoomDirectory> = Arc::new(Directory(Arc::clone(&shared)));
        let router = Router::new()
            .route("/", get(handle))
            .with_state(Arc::clone(&shared))
            .merge(admin::router(shared.controls.clone(), directory));
        Ok(ZegoService {
            server: Server::start(addr, router).await?,
            shared,
        })
    }

    /// `http://<addr>`: the endpoint to configure an adapter with.
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Latency, faults, request log, counters and rate limit of this product.
    pub fn controls(&self) -> &Controls {
        &self.shared.controls
    }

    /// The rooms and their members.
    pub fn rooms(&self) -> &MemberRooms {
        &self.shared.rooms
    }

    /// Creates `room` if needed and adds `users` to it.
    pub fn seed_room(&self, room: &str, users: impl IntoIterator<Item = impl Into<String>>) {
        let users: Vec<String> = users.into_iter().map(Into::into).collect();
        self.shared.rooms.seed(room, &users);
    }

    /// The members of `room`, sorted, or `None` if it does not exist.
    pub fn members(&self, room: &str) -> Option<Vec<String>> {
        self.shared.rooms.members(room)
    }

    /// Every removal so far, in order, with the reason and operator as the emulator decoded them.
    pub fn kicks(&self) -> Vec<Kick> {
        self.shared.kicks.all()
    }
}
