//! Hand-parsed flags, shared by every subcommand: `--flag VALUE`, `--flag=VALUE`, `-f VALUE`
//! and bare words, with one wording for a missing value. (No clap: compile time on small
//! machines.)

/// A cursor over one subcommand's arguments.
#[derive(Debug)]
pub(crate) struct Flags<'a> {
    command: &'static str,
    args: &'a [String],
    next: usize,
    /// The `VALUE` of the last `--flag=VALUE`, until taken.
    inline: Option<&'a str>,
}

impl<'a> Flags<'a> {
    /// The arguments of `dockerflow COMMAND` (after the command's name).
    pub(crate) fn new(command: &'static str, args: &'a [String]) -> Self {
        Flags {
            command,
            args,
            next: 0,
            inline: None,
        }
    }

    /// The next flag without its `=VALUE`, or the next bare word.
    pub(crate) fn next_flag(&mut self) -> Option<&'a str> {
        let arg = self.args.get(self.next)?;
        self.next += 1;
        match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                self.inline = Some(value);
                Some(flag)
            }
            _ => {
                self.inline = None;
                Some(arg)
            }
        }
    }

    /// The value of `flag`: what followed its `=`, else the next argument.
    pub(crate) fn value(&mut self, flag: &str) -> Result<String, String> {
        if let Some(v) = self.inline.take() {
            return Ok(v.to_string());
        }
        let v = self.args.get(self.next).ok_or_else(|| {
            format!(
                "{flag} needs a value (see `dockerflow {} --help`)",
                self.command
            )
        })?;
        self.next += 1;
        Ok(v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_inline_or_next_and_missing_ones_are_named() {
        let args: Vec<String> = ["--a=1", "--b", "2", "word", "-c", "x=y", "--d"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut f = Flags::new("test", &args);
        assert_eq!(f.next_flag(), Some("--a"));
        assert_eq!(f.value("--a").unwrap(), "1");
        assert_eq!(f.next_flag(), Some("--b"));
        assert_eq!(f.value("--b").unwrap(), "2");
        assert_eq!(f.next_flag(), Some("word"));
        assert_eq!(f.next_flag(), Some("-c"));
        assert_eq!(f.value("-c").unwrap(), "x=y");
        assert_eq!(f.next_flag(), Some("--d"));
        assert_eq!(
            f.value("--d").unwrap_err(),
            "--d needs a value (see `dockerflow test --help`)"
        );
        assert_eq!(f.next_flag(), None);
    }
}
