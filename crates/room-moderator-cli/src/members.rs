//! `moderator members`: who is in a room, as the provider lists it.

use std::io::Write;
use std::process::ExitCode;

use room_moderator::{Error, ErrorKind, Member, RoomId};
use serde_json::{Value, json};

use crate::args::MembersArgs;
use crate::{Failure, connect, output};

/// Lists the room: the count first, then a table (or one JSON line per member and a summary).
pub async fn members(args: MembersArgs) -> Result<ExitCode, Failure> {
    let provider = args.target.provider;
    // A provider that cannot list a room (IVS Chat) is refused before any configuration is read.
    if provider
        .capabilities()
        .is_some_and(|caps| caps.members.is_none())
    {
        return Err(Failure::Config(
            Error::new(
                ErrorKind::Unsupported,
                "this provider cannot list a room's members",
            )
            .with_provider(provider.name()),
        ));
    }
    let moderator = connect::build(&args.target).await?;
    connect::check_room(moderator.as_ref(), &args.target.room)?;
    let members = match moderator
        .members(&RoomId::new(args.target.room.as_str()))
        .await
    {
        Ok(members) => members,
        Err(error) => return connect::failed(error),
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        for member in &members {
            let _ = writeln!(
                stdout,
                "{}",
                member_json(provider.name(), &args.target.room, member)
            );
        }
        let summary = json!({
            "provider": provider.name(),
            "room": args.target.room,
            "summary": { "members": members.len() },
        });
        let _ = writeln!(stdout, "{summary}");
    } else {
        let _ = writeln!(
            stdout,
            "{} member{} in {} on {provider}",
            members.len(),
            if members.len() == 1 { "" } else { "s" },
            output::terminal_safe(&args.target.room)
        );
        if !members.is_empty() {
            let _ = write!(stdout, "{}", table(&members));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One member as JSON: the library's shape (`id`, and `name`, `handle` where known) with the
/// provider and room, so that each line stands alone.
pub fn member_json(provider: &str, room: &str, member: &Member) -> Value {
    output::placed(provider, room, serde_json::to_value(member))
}

/// The members as a table of id, name and handle (`-` where the provider gave none), every cell
/// made terminal-safe.
fn table(members: &[Member]) -> String {
    let rows: Vec<[String; 3]> = members
        .iter()
        .map(|member| {
            [
                output::terminal_safe(member.id.as_str()).into_owned(),
                member
                    .name
                    .as_deref()
                    .map_or("-".to_owned(), |n| output::terminal_safe(n).into_owned()),
                member
                    .handle
                    .as_deref()
                    .map_or("-".to_owned(), |h| output::terminal_safe(h).into_owned()),
            ]
        })
        .collect();
    output::columns(&["id", "name", "handle"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_header_and_dashes_for_what_is_unknown() {
        let members = [
            Member::new("alice").with_name("Alice").with_handle("c-1"),
            Member::new("b\u{1b}[2J"),
        ];
        let text = table(&members);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("id"), "{text}");
        assert!(
            lines[1].contains("Alice") && lines[1].contains("c-1"),
            "{text}"
        );
        assert!(
            lines[2].contains("b\\u{1b}[2J") && lines[2].contains(" -"),
            "{text}"
        );
    }

    #[test]
    fn json_carries_provider_room_and_only_known_fields() {
        let value = member_json("zego-zim", "lobby", &Member::new("alice"));
        assert_eq!(value["provider"], "zego-zim");
        assert_eq!(value["room"], "lobby");
        assert_eq!(value["id"], "alice");
        assert!(value.get("name").is_none());
    }
}
