//! What the provider quickstarts share: printing a report the way an operator reads it.

use room_moderator::Report;

/// One line for the request (calls made, whether the provider received the reason), then one line
/// a user with its outcome or the error.
pub fn print_report(report: &Report) {
    println!(
        "room {}: {} call(s), reason delivered: {}",
        report.room(),
        report.calls(),
        report.reason_delivered()
    );
    for entry in report.users() {
        match entry.outcome.error() {
            Some(error) => println!("  {:<10} failed: {error}", entry.user.as_str()),
            None => println!("  {:<10} {}", entry.user.as_str(), entry.outcome.label()),
        }
    }
}
