//! The messages between a cluster client and a node, one JSON object per WebSocket text
//! message (shaped after Centrifugo's subscribe / publication, trimmed to what the lab
//! teaches).
//!
//! ```json
//! {"type":"subscribe","channel":"room","recover":{"offset":41,"epoch":"kXbQmPzA"}}
//! {"type":"subscribed","channel":"room","epoch":"kXbQmPzA","offset":57,"was_recovering":true,"recovered":true,"publications":[{"offset":42,"data":"…"}]}
//! {"type":"pub","channel":"room","epoch":"kXbQmPzA","offset":58,"data":"…"}
//! {"type":"publish","channel":"room","data":"…"}
//! {"type":"direct","to":"user2","data":"…"}
//! {"type":"routed","to":"user2","node":2,"via":"registry"}
//! {"type":"direct","from":"user1","data":"…","from_node":1,"to_node":2,"via":"registry"}
//! {"type":"gap","channel":"room","epoch":"kXbQmPzA","from":59,"to":90}
//! ```

use serde::{Deserialize, Serialize};

use crate::stream::StreamPosition;

/// Close code of a node that cannot give a subscription a whole stream (a gap it cannot
/// fill, or a subscriber that fell too far behind): reconnect and recover.
pub const INSUFFICIENT_STATE: u16 = 4010;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wire {
    pub offset: u64,
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Join `channel`; with `recover`, replay what was missed since that position.
    Subscribe {
        channel: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recover: Option<StreamPosition>,
    },
    Publish {
        channel: String,
        data: String,
    },
    /// A message for one user, wherever they are connected; `id` (the sender's) comes back
    /// with it.
    Direct {
        to: String,
        data: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeMsg {
    Subscribed {
        channel: String,
        /// The stream's position before `publications` (the client moves past each).
        epoch: String,
        offset: u64,
        was_recovering: bool,
        /// Whether `publications` are exactly what was missed; false: reload your state.
        recovered: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why_not: Option<String>,
        publications: Vec<Wire>,
    },
    Pub {
        channel: String,
        epoch: String,
        offset: u64,
        data: String,
    },
    Error {
        message: String,
    },
    /// The node dropped offsets `from..=to` of `channel` for this connection, which read too
    /// slowly (see `slow`): they will not come; go on after `to`.
    Gap {
        channel: String,
        epoch: String,
        from: u64,
        to: u64,
    },
    /// The first message of every connection: which node took it, for which user.
    Welcome {
        node: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
    },
    /// Where the node sent a direct message: to the node the registry named, or to every node.
    Routed {
        to: String,
        /// The node the registry named (numbered from 1); `None` when every node was asked.
        node: Option<usize>,
        via: Route,
    },
    /// A direct message from another user.
    Direct {
        from: String,
        data: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        /// The nodes it crossed, numbered from 1.
        from_node: usize,
        to_node: usize,
        via: Route,
    },
}

/// How a direct message found its receiver's node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Route {
    /// The connection registry named the node; only that node heard it.
    Registry,
    /// Without a registry: published to every node, and the one holding the user delivered it.
    EveryNode,
}

impl ClientMsg {
    pub fn parse(text: &str) -> Result<ClientMsg, String> {
        serde_json::from_str(text).map_err(|e| {
            format!("not a cluster message ({e}); expected e.g. {{\"type\":\"subscribe\",\"channel\":\"room\"}}")
        })
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("messages serialise")
    }
}

impl NodeMsg {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("messages serialise")
    }
}
