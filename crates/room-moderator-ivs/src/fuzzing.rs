//! Entry points for the fuzz targets in `fuzz/` (hidden from the docs): the crate-private decoders of
//! provider input, reachable without a network. Not part of the API; may change at any release.

/// Whether a 200 answer's `body` may be read as DisconnectUser's success (empty, blank or a JSON
/// object); otherwise the message the adapter would report.
pub fn check_success_body(body: &[u8]) -> Result<(), String> {
    crate::success_body::check(body).map_err(|unexpected| unexpected.to_string())
}

/// The text of an IVS error body's `exceptionMessage` (IVS real-time's member, which the SDK does
/// not read), as the error mapping keeps it: one line, bounded.
pub fn exception_message(body: &[u8]) -> Option<String> {
    crate::sdk_error::exception_message(body)
}

/// One listed participant: participant id, user id, connected.
#[cfg(feature = "stages")]
pub type ListedParticipant = (String, String, bool);

/// Runs one stage listing over `pages` (the last one ends it) as the stages adapter accumulates
/// them, and returns the members (user id, participant ids) it ends with, or `None` if the listing
/// was refused; each page's cursor is read back as the engine hands it over.
#[cfg(feature = "stages")]
pub fn stage_listing(pages: &[Vec<ListedParticipant>]) -> Option<Vec<(String, Vec<String>)>> {
    use crate::stages::roster::{Cursor, Listed, PageEnd, Rosters};
    let rosters = Rosters::default();
    let now = tokio::time::Instant::now();
    let mut number = rosters.start("stage", "st-fuzz000000000", now);
    for (at, page) in pages.iter().enumerate() {
        let listed: Vec<Listed> = page
            .iter()
            .map(|(participant, user, connected)| Listed {
                participant: participant.clone(),
                user: user.clone(),
                connected: *connected,
            })
            .collect();
        let next = (at + 1 < pages.len()).then(|| format!("t{at}"));
        match rosters
            .add_page(number, &listed, next.as_deref(), now)
            .ok()?
        {
            PageEnd::More(cursor) => {
                let cursor = Cursor::parse(&cursor)?;
                assert_eq!(cursor.listing, number);
                number = cursor.listing;
            }
            PageEnd::Done(members) => {
                return Some(
                    members
                        .into_iter()
                        .map(|m| {
                            let handles = m
                                .handle
                                .unwrap_or_default()
                                .split(' ')
                                .map(str::to_owned)
                                .collect();
                            (m.id.as_str().to_owned(), handles)
                        })
                        .collect(),
                );
            }
        }
    }
    None
}

/// Reads a stage listing's page cursor as the adapter does (`None` for one it did not make).
#[cfg(feature = "stages")]
pub fn parse_stage_cursor(cursor: &str) -> Option<(u64, String, String)> {
    crate::stages::roster::Cursor::parse(cursor).map(|c| (c.listing, c.session, c.token))
}
