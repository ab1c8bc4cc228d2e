//! The browser glue between the sans-IO cores and the web platform: one signaling socket,
//! one `RTCPeerConnection` per data connection. It moves bytes and events; every decision
//! is made in `peerchat-peerjs` or `peerchat-chat`.

mod connections;
mod direct;
mod link;
mod node;
mod persist;
mod persist_direct;
mod rooms;
mod socket;

pub use node::Node;
pub use persist::PAGE;
pub(crate) use persist_direct::{conversation_page, history_name};
