//! Edits a learner makes to a description before it is sent ("SDP munging"), to see what each
//! line is for: the peer applies its own description, then sends the edited text.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum SdpEdit {
    /// Delete `a=fingerprint`: nothing ties the DTLS certificate to the signalled session.
    RemoveFingerprint,
    /// Change `a=ice-pwd`: the other peer signs its checks with a password this one does not have.
    ChangeIcePwd,
    /// Send no candidates (none in the SDP, none trickled).
    DropCandidates,
    /// Flip the answer's `a=setup` (active ↔ passive): both sides take the same DTLS role.
    FlipSetup,
    /// Delete the `m=application` section: no data channel is negotiated.
    RemoveDataSection,
    /// Break one line's syntax (`a=mid:0` becomes `a mid:0`): a malformed description.
    MalformLine,
}

/// Which description an edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Offer,
    Answer,
}

pub const ALL: [SdpEdit; 6] = [
    SdpEdit::RemoveFingerprint,
    SdpEdit::ChangeIcePwd,
    SdpEdit::DropCandidates,
    SdpEdit::FlipSetup,
    SdpEdit::RemoveDataSection,
    SdpEdit::MalformLine,
];

/// The password a changed `a=ice-pwd` carries (22+ characters, as RFC 8839 requires).
const WRONG_PWD: &str = "thisisnotthepassword00";

impl SdpEdit {
    pub fn name(self) -> &'static str {
        match self {
            SdpEdit::RemoveFingerprint => "remove-fingerprint",
            SdpEdit::ChangeIcePwd => "change-ice-pwd",
            SdpEdit::DropCandidates => "drop-candidates",
            SdpEdit::FlipSetup => "flip-setup",
            SdpEdit::RemoveDataSection => "remove-data-section",
            SdpEdit::MalformLine => "malform-line",
        }
    }

    pub fn target(self) -> Target {
        match self {
            SdpEdit::FlipSetup => Target::Answer,
            _ => Target::Offer,
        }
    }

    /// What the edit does, in words.
    pub fn words(self) -> &'static str {
        match self {
            SdpEdit::RemoveFingerprint => "deleted the offer's a=fingerprint line",
            SdpEdit::ChangeIcePwd => "changed the offer's a=ice-pwd",
            SdpEdit::DropCandidates => "removed every candidate from the offer (and trickled none)",
            SdpEdit::FlipSetup => "flipped the answer's a=setup role",
            SdpEdit::RemoveDataSection => "deleted the offer's m=application section (and its BUNDLE entry)",
            SdpEdit::MalformLine => "broke the offer's a=mid line (its = became a space)",
        }
    }

    /// Whether trickled candidates are suppressed too.
    pub fn drops_trickled_candidates(self) -> bool {
        self == SdpEdit::DropCandidates
    }

    /// The edited text of `sdp`.
    pub fn apply(self, sdp: &str) -> String {
        let lines: Vec<&str> = sdp.split("\r\n").filter(|l| !l.is_empty()).collect();
        let kept: Vec<String> = match self {
            SdpEdit::RemoveFingerprint => {
                lines.iter().filter(|l| !l.starts_with("a=fingerprint:")).map(|l| l.to_string()).collect()
            }
            SdpEdit::ChangeIcePwd => lines
                .iter()
                .map(|l| if l.starts_with("a=ice-pwd:") { format!("a=ice-pwd:{WRONG_PWD}") } else { l.to_string() })
                .collect(),
            SdpEdit::DropCandidates => lines
                .iter()
                .filter(|l| !l.starts_with("a=candidate:") && **l != "a=end-of-candidates")
                .map(|l| l.to_string())
                .collect(),
            SdpEdit::FlipSetup => lines
                .iter()
                .map(|l| match *l {
                    "a=setup:active" => "a=setup:passive".to_string(),
                    "a=setup:passive" => "a=setup:active".to_string(),
                    other => other.to_string(),
                })
                .collect(),
            SdpEdit::MalformLine => lines
                .iter()
                .map(|l| match l.strip_prefix("a=mid:") {
                    Some(mid) => format!("a mid:{mid}"),
                    None => l.to_string(),
                })
                .collect(),
            SdpEdit::RemoveDataSection => {
                let mut out = vec![];
                let mut in_data = false;
                for l in &lines {
                    if l.starts_with("m=") {
                        in_data = l.starts_with("m=application");
                    }
                    if in_data {
                        continue;
                    }
                    if l.starts_with("a=group:BUNDLE") {
                        out.push("a=group:BUNDLE".to_string());
                    } else {
                        out.push(l.to_string());
                    }
                }
                out
            }
        };
        let mut text = kept.join("\r\n");
        text.push_str("\r\n");
        text
    }
}

impl std::str::FromStr for SdpEdit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ALL.into_iter().find(|e| e.name() == s).ok_or_else(|| {
            format!(
                "unknown SDP edit {s:?}; use one of: {}",
                ALL.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\na=fingerprint:sha-256 AA:BB\r\na=setup:active\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 10.0.1.2 5000 typ host\r\n";

    #[test]
    fn each_edit_changes_only_its_lines() {
        let removed = SdpEdit::RemoveFingerprint.apply(OFFER);
        assert!(!removed.contains("fingerprint") && removed.contains("a=ice-pwd"));
        assert!(SdpEdit::ChangeIcePwd.apply(OFFER).contains(&format!("a=ice-pwd:{WRONG_PWD}\r\n")));
        assert!(!SdpEdit::DropCandidates.apply(OFFER).contains("a=candidate"));
        assert!(SdpEdit::FlipSetup.apply(OFFER).contains("a=setup:passive\r\n"));
        let no_data = SdpEdit::RemoveDataSection.apply(OFFER);
        assert!(!no_data.contains("m=") && no_data.contains("a=group:BUNDLE\r\n"), "{no_data}");
        let broken = crate::sdp::check(&SdpEdit::MalformLine.apply(OFFER)).unwrap_err();
        assert_eq!((broken.line, broken.text.as_str()), (11, "a mid:0"));
        for e in ALL.into_iter().filter(|e| *e != SdpEdit::MalformLine) {
            assert!(crate::sdp::check(&e.apply(OFFER)).is_ok(), "{e:?}");
            assert_eq!(e.name().parse::<SdpEdit>(), Ok(e));
        }
        assert!("nope".parse::<SdpEdit>().unwrap_err().contains("remove-fingerprint"));
    }
}
