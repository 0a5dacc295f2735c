//! What an edit to the SDP broke, and where — told from the run, never assumed: each sentence
//! is built from the peers' problems, their candidate-pair counts and the datagrams sent.

use crate::candidate::CandidateType;
use crate::net::NetEventKind;
use crate::sdp_edit::SdpEdit;
use crate::session::{Outcome, RunReport, SimEventKind};

/// The edit's part of the explanation: a headline when it decided the outcome, the reasons,
/// and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Story {
    pub headline: Option<String>,
    pub reasons: Vec<String>,
    pub fix: Option<String>,
}

/// Datagrams sent whose summary contains `what`.
fn sent(r: &RunReport, what: &str) -> usize {
    r.events
        .iter()
        .filter(|e| matches!(&e.kind, SimEventKind::Net { event: NetEventKind::Sent { what: w, .. }, .. } if w.contains(what)))
        .count()
}

/// The answer as it was sent (after the edit), from the signalling events.
fn answer_sent(r: &RunReport) -> Option<&str> {
    r.events.iter().find_map(|e| match &e.kind {
        SimEventKind::Signal { from, json, .. } if from == "B" && json.contains("\"answer\"") => Some(json.as_str()),
        _ => None,
    })
}

fn problem<'a>(r: &'a RunReport, peer: &str, containing: &str) -> Option<&'a str> {
    r.peers.iter().find(|p| p.name == peer)?.problems.iter().find(|p| p.contains(containing)).map(String::as_str)
}

pub fn story(r: &RunReport) -> Option<Story> {
    let edit = r.sdp_edit?;
    let [a, b] = &r.peers;
    let mut reasons = vec![format!("You {} before it was sent.", edit.words())];
    let connected = r.outcome != Outcome::Failed;
    let (headline, fix) = match edit {
        SdpEdit::RemoveFingerprint | SdpEdit::RemoveDataSection | SdpEdit::MalformLine => {
            match problem(r, "B", "offer was refused") {
                Some(refusal) => {
                    let why = refusal.split_once("refused: ").map_or(refusal, |(_, w)| w);
                    reasons.push(format!(
                    "B refused the offer ({why}) and sent no answer, so ICE never started and no datagram went between the peers."
                ));
                    reasons.push(match edit {
                    SdpEdit::RemoveFingerprint => "The fingerprint is the hash of A's DTLS certificate; without it B could not know whom its DTLS handshake would be with, so a browser refuses such an offer too.".into(),
                    SdpEdit::MalformLine => "An SDP is a list of lines of the form x=value; B's parser stopped at the first line that is not one and named it, so a malformed description never gets as far as ICE.".into(),
                    _ => "The ICE credentials, the DTLS fingerprint and the SCTP port all live in the m=application section: without it the offer asks for nothing to connect, and a data channel exists only where the offer negotiates one.".into(),
                });
                    (
                    Some("B refused the edited offer: the connection never started.".to_string()),
                    Some("Send the description as the peer created it: each line you removed is what the other side needs to connect and to trust the connection.".to_string()),
                )
                }
                None => (None, None),
            }
        }
        SdpEdit::ChangeIcePwd => {
            let got: u64 = a.pairs.iter().map(|p| p.requests_received).sum();
            let answered: u64 = a.pairs.iter().map(|p| p.responses_sent).sum();
            reasons.push(format!(
                "B signed its checks (MESSAGE-INTEGRITY) with the password the edited offer carried, not A's: A received {got} of them and answered {answered}. STUN says to refuse such a request with 401 Unauthorized; this stack discards it without an answer."
            ));
            if !connected {
                reasons.push("Without answers to its checks B never had a working pair, and A never got the nomination it needs from its own checks, so ICE failed on both sides.".into());
            }
            (
                (!connected).then(|| "ICE failed: B's connectivity checks were signed with the wrong password.".to_string()),
                (!connected).then(|| "The ice-pwd is the key of every check's integrity: each side must know the other's exactly as it was generated.".to_string()),
            )
        }
        SdpEdit::DropCandidates => {
            let learned = b.remote_candidates.iter().any(|c| c.typ == CandidateType::Prflx);
            if connected && learned {
                reasons.push("B got no candidate from A, but A had B's and sent checks to them; B learned A's address from those checks (a peer-reflexive candidate) and answered: candidates make ICE faster, and a check reveals an address too.".into());
            } else if !connected {
                reasons.push("B had no candidate of A's to check, and A's checks did not reach B to teach it one (see the drops below), so no pair worked.".into());
            }
            (
                None,
                (!connected).then(|| {
                    "Send the candidates: without them only the side that has the other's can start the checks."
                        .to_string()
                }),
            )
        }
        SdpEdit::FlipSetup => {
            let ice_ok = r.peers.iter().any(|p| p.pairs.iter().any(|x| x.nominated && x.state == "succeeded"));
            let alerts = sent(r, "DTLS alert");
            let flights = sent(r, "DTLS handshake");
            let told_passive = answer_sent(r).is_some_and(|sdp| sdp.contains("a=setup:passive"));
            if ice_ok && r.outcome == Outcome::Failed {
                reasons.push(if told_passive {
                    format!(
                        "ICE worked (a nominated pair, checks answered), then DTLS did not. B had chosen to be the DTLS client and started the handshake; the edited answer told A that B would wait, so A started it as a client too. Each received the other's first flight where it expected a server's reply and answered with an alert ({flights} handshake datagrams, {alerts} alerts), and the connection never reached 'connected'."
                    )
                } else {
                    format!(
                        "ICE worked (a nominated pair, checks answered), then DTLS did not: the edited answer told A that B would start the handshake while B waited for A's, so both waited ({flights} handshake datagrams) and the connection never reached 'connected'."
                    )
                });
            }
            (
                (ice_ok && r.outcome == Outcome::Failed).then(|| {
                    let roles = if told_passive { "both peers took the DTLS client role" } else { "both peers waited as DTLS servers" };
                    format!("ICE connected, DTLS failed: {roles}.")
                }),
                Some("a=setup decides who starts DTLS: the offer's actpass lets the answerer choose, and the answer must tell the truth about its choice.".to_string()),
            )
        }
    };
    Some(Story { headline, reasons, fix })
}
