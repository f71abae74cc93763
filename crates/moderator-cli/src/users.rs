//! Collecting user ids from `--user`, `--users-file` and standard input.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Reads user ids: one per line, surrounding white space trimmed, blank lines and `#` comments skipped.
pub fn parse_lines(reader: impl Read) -> io::Result<Vec<String>> {
    let mut users = Vec::new();
    for line in BufReader::new(reader).lines() {
        let line = line?;
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
