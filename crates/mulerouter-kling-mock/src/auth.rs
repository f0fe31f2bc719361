//! `Authorization: Bearer …`, checked the way the service does.

use http::header::AUTHORIZATION;
use wiremock::http::HeaderMap;

/// Which bearer tokens the mock accepts.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Keys {
    /// Any non-empty token (the default: tests need no real key).
    Any,
    /// Exactly this one.
    Only(String),
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Any => f.write_str("Any"),
            // A key in a test is still a key: keep it out of logs.
            Self::Only(_) => f.write_str("Only(<redacted>)"),
        }
    }
}

impl Keys {
    /// `Err` holds the 401 detail.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(if headers.contains_key(AUTHORIZATION) {
                "Invalid Authorization header format: send exactly one Authorization header"
            } else {
                "Missing Authorization header: send `Authorization: Bearer <your MuleRouter key>`"
            });
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|text| {
                let (scheme, token) = text.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .filter(|token| !token.is_empty() && !token.contains(char::is_whitespace))
            .ok_or("Invalid Authorization header format")?;
        match self {
            Self::Any => Ok(()),
            Self::Only(key) if key == token => Ok(()),
            Self::Only(_) => Err("Invalid API key"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::http::HeaderValue;

    fn check(keys: &Keys, values: &[&[u8]]) -> Result<(), &'static str> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("authorization", HeaderValue::from_bytes(value).unwrap());
        }
        keys.check(&headers)
    }

    #[test]
    fn any_non_empty_bearer_token_passes_by_default() {
        assert_eq!(check(&Keys::Any, &[b"Bearer sk-mr-x"]), Ok(()));
        assert_eq!(check(&Keys::Any, &[b"bearer  sk-mr-x "]), Ok(()));
    }

    #[test]
    fn missing_malformed_and_wrong_headers_are_refused() {
        assert!(check(&Keys::Any, &[]).unwrap_err().starts_with("Missing"));
        for bad in [
            &b"sk-mr-x"[..],
            b"Basic abc",
            b"Bearer ",
            b"Bearer a b",
            b"Bearer \xff",
        ] {
            assert_eq!(
                check(&Keys::Any, &[bad]),
                Err("Invalid Authorization header format"),
                "{bad:?}"
            );
        }
        assert!(check(&Keys::Any, &[b"Bearer a", b"Bearer b"]).is_err());
        let only = Keys::Only("sk-mr-right".into());
        assert_eq!(
            check(&only, &[b"Bearer sk-mr-wrong"]),
            Err("Invalid API key")
        );
        assert_eq!(check(&only, &[b"Bearer sk-mr-right"]), Ok(()));
        assert!(!format!("{only:?}").contains("right"));
    }
}
