//! Who may charge: free vend, a local list of id tags, or (mode `ocpp`) whoever the OCPP
//! charge point has already authorized before the command reached the station.

use crate::config::{AuthorizationMode, AuthorizationSection};

/// The id tag journaled for sessions started in free mode without one.
pub const FREE_VEND_ID_TAG: &str = "FreeVend";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("id tag '{0}' is not authorized")]
    Unknown(String),
    #[error("an id tag is required (authorization mode is local-list or ocpp)")]
    Missing,
}

/// The configured tag `id_tag` is, if it is one of `id_tags` (OCPP id tags compare
/// case-insensitively). Also what decides while OCPP cannot run (see the daemon).
pub fn local_list_match<'a>(id_tags: &'a [String], id_tag: &str) -> Option<&'a String> {
    id_tags
        .iter()
        .find(|known| known.eq_ignore_ascii_case(id_tag))
}

#[derive(Debug, Clone)]
pub struct Authorizer {
    mode: AuthorizationMode,
    id_tags: Vec<String>,
}

impl Authorizer {
    pub fn new(cfg: &AuthorizationSection) -> Self {
        Authorizer {
            mode: cfg.mode,
            id_tags: cfg.id_tags.clone(),
        }
    }

    /// The id tag a session will be journaled under, or why it may not start.
    pub fn mode(&self) -> AuthorizationMode {
        self.mode
    }

    pub fn authorize(&self, id_tag: Option<&str>) -> Result<String, AuthError> {
        match (self.mode, id_tag) {
            (AuthorizationMode::Free, None) => Ok(FREE_VEND_ID_TAG.to_string()),
            (AuthorizationMode::Free, Some(t)) => Ok(t.to_string()),
            (AuthorizationMode::LocalList, None) => Err(AuthError::Missing),
            (AuthorizationMode::LocalList, Some(t)) => local_list_match(&self.id_tags, t)
                .cloned()
                .ok_or_else(|| AuthError::Unknown(t.to_string())),
            // The OCPP charge point asked its local list, cache or the CSMS before commanding.
            (AuthorizationMode::Ocpp, Some(t)) => Ok(t.to_string()),
            (AuthorizationMode::Ocpp, None) => Err(AuthError::Missing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_list_accepts_known_tags_only() {
        let a = Authorizer::new(&AuthorizationSection {
            mode: AuthorizationMode::LocalList,
            id_tags: vec!["FLEET-042".into()],
            ..Default::default()
        });
        assert_eq!(a.authorize(Some("fleet-042")).unwrap(), "FLEET-042");
        assert_eq!(a.authorize(Some("x")), Err(AuthError::Unknown("x".into())));
        assert_eq!(a.authorize(None), Err(AuthError::Missing));
    }

    #[test]
    fn free_mode_needs_no_tag() {
        let a = Authorizer::new(&AuthorizationSection::default());
        assert_eq!(a.authorize(None).unwrap(), FREE_VEND_ID_TAG);
        assert_eq!(a.authorize(Some("T1")).unwrap(), "T1");
    }
}
