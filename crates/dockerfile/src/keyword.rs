//! [`Keyword`]: the instruction keywords BuildKit knows, with the flags each accepts.

/// An instruction keyword BuildKit knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    /// `FROM`.
    From,
    /// `RUN`.
    Run,
    /// `CMD`.
    Cmd,
    /// `LABEL`.
    Label,
    /// `EXPOSE`.
    Expose,
    /// `ENV`.
    Env,
    /// `ADD`.
    Add,
    /// `COPY`.
    Copy,
    /// `ENTRYPOINT`.
    Entrypoint,
    /// `VOLUME`.
    Volume,
    /// `USER`.
    User,
    /// `WORKDIR`.
    Workdir,
    /// `ARG`.
    Arg,
    /// `ONBUILD`.
    Onbuild,
    /// `STOPSIGNAL`.
    Stopsignal,
    /// `HEALTHCHECK`.
    Healthcheck,
    /// `SHELL`.
    Shell,
    /// `MAINTAINER`.
    Maintainer,
}

impl Keyword {
    /// Every keyword, in BuildKit's order.
    pub const ALL: [Keyword; 18] = [
        Keyword::From,
        Keyword::Run,
        Keyword::Cmd,
        Keyword::Label,
        Keyword::Expose,
        Keyword::Env,
        Keyword::Add,
        Keyword::Copy,
        Keyword::Entrypoint,
        Keyword::Volume,
        Keyword::User,
        Keyword::Workdir,
        Keyword::Arg,
        Keyword::Onbuild,
        Keyword::Stopsignal,
        Keyword::Healthcheck,
        Keyword::Shell,
        Keyword::Maintainer,
    ];

    /// The keyword in upper case (`"COPY"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Keyword::From => "FROM",
            Keyword::Run => "RUN",
            Keyword::Cmd => "CMD",
            Keyword::Label => "LABEL",
            Keyword::Expose => "EXPOSE",
            Keyword::Env => "ENV",
            Keyword::Add => "ADD",
            Keyword::Copy => "COPY",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Volume => "VOLUME",
            Keyword::User => "USER",
            Keyword::Workdir => "WORKDIR",
            Keyword::Arg => "ARG",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Shell => "SHELL",
            Keyword::Maintainer => "MAINTAINER",
        }
    }

    /// The keyword `word` names, in any case (`copy`, `Copy`, `COPY`).
    pub fn parse(word: &str) -> Option<Keyword> {
        Keyword::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(word))
    }

    /// Whether BuildKit reads heredocs (`<<EOF`) in the instruction: `RUN`, `COPY` and `ADD`.
    pub const fn takes_heredocs(self) -> bool {
        matches!(self, Keyword::Run | Keyword::Copy | Keyword::Add)
    }

    /// Flags the instruction accepts (BuildKit 1.x frontend, stable and labs).
    pub fn flags(self) -> &'static [&'static str] {
        match self {
            Keyword::From => &["platform"],
            Keyword::Run => &["mount", "network", "security", "device"],
            Keyword::Copy => &["from", "chown", "chmod", "link", "parents", "exclude"],
            Keyword::Add => &[
                "chown",
                "chmod",
                "link",
                "keep-git-dir",
                "checksum",
                "exclude",
                "unpack",
            ],
            Keyword::Healthcheck => &[
                "interval",
                "timeout",
                "start-period",
                "start-interval",
                "retries",
            ],
            _ => &[],
        }
    }
}

impl std::fmt::Display for Keyword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every instruction keyword BuildKit knows, in upper case ([`Keyword::ALL`] as text).
pub const KEYWORDS: [&str; 18] = {
    let mut all = [""; 18];
    let mut i = 0;
    while i < all.len() {
        all[i] = Keyword::ALL[i].as_str();
        i += 1;
    }
    all
};
