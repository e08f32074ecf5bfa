//! Masking for `dockerflow ci`: the values of secret-looking environment variables, URL
//! passwords and `--mask` values become `***` in every line ci prints or logs. Which names and
//! URL passwords count comes from `dockerflow_contract::secrets`, which the checker and the
//! service library's redaction read too.

use dockerflow_contract::secrets::{may_name_secret, url_userinfos};

/// Replaces secret values with `***`, longest first (so a secret containing another is masked
/// whole).
#[derive(Debug, Clone)]
pub(crate) struct Masker {
    secrets: Vec<String>,
}

impl Masker {
    /// The secrets of `env` (see the command's help) and the `extra` values.
    pub(crate) fn new(env: impl IntoIterator<Item = (String, String)>, extra: &[String]) -> Masker {
        let mut secrets: Vec<String> = extra.iter().filter(|s| !s.is_empty()).cloned().collect();
        for (name, value) in env {
            if value.len() >= 4 && may_name_secret(&name) {
                secrets.push(value.clone());
            }
            secrets.extend(url_passwords(&value));
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Masker { secrets }
    }

    pub(crate) fn mask(&self, line: &str) -> String {
        let mut out = line.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }
}

/// The passwords of `scheme://user:password@host` URLs in `value` (3 characters or more).
fn url_passwords(value: &str) -> impl Iterator<Item = String> + '_ {
    url_userinfos(value)
        .filter_map(|u| u.password)
        .filter(|p| p.len() >= 3)
        .map(|p| value[p].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_names_every_word_masking_reads() {
        use dockerflow_contract::secrets::{LOOSE_SECRET_WORDS, SECRET_WORDS};
        let help = crate::ci::AFTER_HELP.replace('\n', " ");
        for word in SECRET_WORDS.iter().chain(LOOSE_SECRET_WORDS) {
            assert!(
                help.contains(&format!(" {word},")) || help.contains(&format!(" {word} ")),
                "{word}"
            );
        }
    }

    #[test]
    fn masks_secret_names_url_passwords_and_extras_longest_first() {
        let env = vec![
            (
                "DOCKERFLOW_REGISTRY_PASSWORD".to_string(),
                "hunter22".to_string(),
            ),
            ("API_TOKEN".to_string(), "tok-abcdef".to_string()),
            ("PATH".to_string(), "/usr/bin".to_string()),
            ("SHORT_KEY".to_string(), "abc".to_string()),
            (
                "DATABASE_URL".to_string(),
                "postgres://app:s3cr3tpw@db:5432/x".to_string(),
            ),
        ];
        let m = Masker::new(env, &["extra-value".to_string(), "hunter2".to_string()]);
        assert_eq!(
            m.mask(
                "pw=hunter22 t=tok-abcdef db=postgres://app:s3cr3tpw@db x=extra-value p=/usr/bin"
            ),
            "pw=*** t=*** db=postgres://app:***@db x=*** p=/usr/bin"
        );
        assert_eq!(
            m.mask("abc stays: too short to be a secret"),
            "abc stays: too short to be a secret"
        );
    }
}
