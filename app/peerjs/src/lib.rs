//! The PeerJS signaling protocol, spoken by PeerChat itself.
//!
//! [`wire`] holds the frames exchanged with a PeerServer, [`Session`] is a sans-IO state
//! machine for one broker registration (time is passed in, sockets live elsewhere), and
//! [`data`] covers what crosses a PeerJS data connection once it is open.
#![forbid(unsafe_code)]

pub mod broker;
pub mod data;
mod error;
pub mod flow;
pub mod ids;
mod session;
pub mod sim;
pub mod wire;

pub use broker::BrokerConfig;
pub use error::PeerJsError;
pub use ids::{ConnectionId, PeerId, Token};
pub use session::{Event, Rejection, Session, SessionConfig, Transmit};
