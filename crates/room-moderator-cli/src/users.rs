//! Collecting user ids from `--user`, `--users-file` and standard input.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// The UTF-8 byte order mark some editors (Notepad, Excel's "CSV UTF-8") put at the start of a file.
const BOM: char = '\u{feff}';

/// Reads user ids: one per line (`\n` or `\r\n`), surrounding white space trimmed, blank lines and `#`
/// comments skipped, a UTF-8 byte order mark at the start ignored. Text that is not UTF-8 is an error
/// naming the line, never a guess.
pub fn parse_lines(reader: impl Read) -> io::Result<Vec<String>> {
    let mut users = Vec::new();
    for (index, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData => io::Error::new(
                io::ErrorKind::InvalidData,
                format!("line {} is not UTF-8 text", index + 1),
            ),
            _ => e,
        })?;
        let line = if index == 0 {
            line.strip_prefix(BOM).unwrap_or(&line)
        } else {
            &line
        };
        // `trim` also removes the `\r` of a CRLF line end.
        let user = line.trim();
        if !user.is_empty() && !user.starts_with('#') {
            users.push(user.to_owned());
        }
    }
    Ok(users)
}

/// Every user named on the command line, in order: `--user`s, then the file, then standard input.
pub fn collect(flags: &[String], file: Option<&Path>, stdin: bool) -> Result<Vec<String>, String> {
    let mut users = flags.to_vec();
    let from_stdin = stdin || file.is_some_and(|f| f == Path::new("-"));
    if let Some(file) = file.filter(|f| *f != Path::new("-")) {
        let opened = std::fs::File::open(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        users.extend(
            parse_lines(opened).map_err(|e| format!("cannot read {}: {e}", file.display()))?,
        );
    }
    if from_stdin {
        users.extend(
            parse_lines(io::stdin().lock())
                .map_err(|e| format!("cannot read standard input: {e}"))?,
        );
    }
    if users.is_empty() {
        return Err("no users given: use --user, --users-file or - (an empty list never means everyone; see kick-all)".to_owned());
    }
    Ok(users)
}

/// The users of a command's `--user`, `--users-file` and `-`.
pub fn from_args(list: &crate::args::UserList) -> Result<Vec<String>, crate::Failure> {
    collect(
        &list.users,
        list.users_file.as_deref(),
        list.stdin.is_some(),
    )
    .map_err(crate::Failure::Usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_and_comments_skipped() {
        let text = "alice\n  bob  \n\n# a comment\ncarol\r\n";
        assert_eq!(
            parse_lines(text.as_bytes()).unwrap(),
            ["alice", "bob", "carol"]
        );
    }

    #[test]
    fn a_byte_order_mark_and_crlf_line_ends_are_not_part_of_any_id() {
        let text = "\u{feff}alice\r\nbob\r\n\r\n  \r\ncarol";
        assert_eq!(
            parse_lines(text.as_bytes()).unwrap(),
            ["alice", "bob", "carol"]
        );
        // Only a mark at the very start is the file's; elsewhere it belongs to the id.
        let inner = "alice\n\u{feff}bob\n";
        assert_eq!(
            parse_lines(inner.as_bytes()).unwrap(),
            ["alice", "\u{feff}bob"]
        );
    }

    #[test]
    fn a_file_of_only_a_mark_blank_lines_and_comments_has_no_users() {
        let text = "\u{feff}\r\n\n# nobody\r\n";
        assert!(parse_lines(text.as_bytes()).unwrap().is_empty());
    }

    #[test]
    fn a_hundred_thousand_lines_are_read_in_order() {
        let text: String = (0..100_000).map(|i| format!("user-{i}\r\n")).collect();
        let users = parse_lines(text.as_bytes()).unwrap();
        assert_eq!(users.len(), 100_000);
        assert_eq!(users[0], "user-0");
        assert_eq!(users[99_999], "user-99999");
    }

    #[test]
    fn text_that_is_not_utf8_names_the_line() {
        let bytes: &[u8] = b"alice\nb\xffb\n";
        let error = parse_lines(bytes).unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
    }

    #[test]
    fn an_unreadable_file_is_a_clear_error() {
        let error = collect(&[], Some(Path::new("/nonexistent/users.txt")), false).unwrap_err();
        assert!(
            error.starts_with("cannot read /nonexistent/users.txt"),
            "{error}"
        );
    }

    #[test]
    fn nothing_given_is_an_error_not_everyone() {
        let error = collect(&[], None, false).unwrap_err();
        assert!(error.contains("never means everyone"), "{error}");
    }
}
