//! The browser glue around the sans-IO [`peerchat_node::Node`]: it carries bytes and
//! events between the node and the web platform — one WebSocket per broker registration,
//! one `RTCPeerConnection` per link, one timer, and IndexedDB calls — and executes the
//! node's outputs. It decides nothing: routing, the one-to-one protocol, rooms, what is
//! stored and when, what is shown and notified all live in `peerchat-node`, where native
//! tests reach them.

mod driver;
mod files;
mod link;
mod paced;
mod socket;
mod store;

pub use driver::Net;
pub use files::FileTo;
pub(crate) use link::{Link, Setup};
