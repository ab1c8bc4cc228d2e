//! Flow control for one data channel, sans IO: what to hand to the channel now and what
//! waits for its buffer to drain.
//!
//! A browser's data channel takes every `send` into its own buffer (`bufferedAmount`);
//! Chromium closes the channel when that buffer passes 16 MiB, and a peer that reads
//! slowly lets it grow without end. So frames go to the channel only while it holds less
//! than [`HIGH_WATER`]; the rest wait here, in order, and go when the browser says the
//! buffer fell to [`LOW_WATER`] (`bufferedamountlow`). A peer that lets more than
//! [`MAX_WAITING`] bytes pile up cannot keep up: the link is given up (the room or
//! conversation reconnects and catches up by its own backfill), instead of holding
//! memory for it without bound.

use std::collections::VecDeque;

use crate::data::ChannelFrame;

/// Bytes the channel may hold before frames wait here.
pub const HIGH_WATER: u32 = 1 << 20;

/// The channel's `bufferedAmountLowThreshold`: waiting frames go once it drains to this.
pub const LOW_WATER: u32 = 256 << 10;

/// Bytes that may wait here before the link is given up.
pub const MAX_WAITING: usize = 8 << 20;

/// The peer reads so slowly that [`MAX_WAITING`] bytes wait: close the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the peer is not reading what we send; the connection is closed and set up again")]
pub struct Overflow;

/// The frames waiting for one channel.
#[derive(Debug, Default)]
pub struct SendQueue {
    waiting: VecDeque<ChannelFrame>,
    waiting_bytes: usize,
}

fn size(frame: &ChannelFrame) -> usize {
    match frame {
        ChannelFrame::Text(t) => t.len(),
        ChannelFrame::Binary(b) => b.len(),
    }
}

impl SendQueue {
    /// A frame to send while the channel holds `buffered` bytes: `Some` to hand to the
    /// channel now, `None` when it waits (behind others, or for the buffer to drain).
    pub fn push(
        &mut self,
        frame: ChannelFrame,
        buffered: u32,
    ) -> Result<Option<ChannelFrame>, Overflow> {
        if self.waiting.is_empty() && buffered < HIGH_WATER {
            return Ok(Some(frame));
        }
        let bytes = size(&frame);
        if self.waiting_bytes.saturating_add(bytes) > MAX_WAITING {
            return Err(Overflow);
        }
        self.waiting_bytes += bytes;
        self.waiting.push_back(frame);
        Ok(None)
    }

    /// The channel holds `buffered` bytes now (its buffer drained): the waiting frames
    /// to hand to it, in order, up to [`HIGH_WATER`].
    pub fn drain(&mut self, buffered: u32) -> Vec<ChannelFrame> {
        let mut buffered = u64::from(buffered);
        let mut out = Vec::new();
        while buffered < u64::from(HIGH_WATER) {
            let Some(frame) = self.waiting.pop_front() else {
                break;
            };
            let bytes = size(&frame);
            self.waiting_bytes -= bytes;
            buffered += bytes as u64;
            out.push(frame);
        }
        out
    }

    /// Bytes waiting.
    pub fn waiting_bytes(&self) -> usize {
        self.waiting_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(i: u8, len: usize) -> ChannelFrame {
        ChannelFrame::Binary(vec![i; len])
    }

    #[test]
    fn frames_go_at_once_while_the_buffer_is_low_and_wait_in_order_above_it() {
        let mut q = SendQueue::default();
        assert_eq!(q.push(frame(1, 10), 0), Ok(Some(frame(1, 10))));
        assert_eq!(q.push(frame(2, 10), HIGH_WATER), Ok(None));
        // The buffer is low again, but 2 waits: 3 goes behind it, never before.
        assert_eq!(q.push(frame(3, 10), 0), Ok(None));
        assert_eq!(q.drain(LOW_WATER), [frame(2, 10), frame(3, 10)]);
        assert_eq!(q.waiting_bytes(), 0);
        assert_eq!(q.push(frame(4, 10), 0), Ok(Some(frame(4, 10))));
    }

    #[test]
    fn a_drain_fills_the_channel_up_to_the_high_mark_only() {
        let mut q = SendQueue::default();
        let chunk = 16_000;
        for i in 0..200 {
            assert_eq!(q.push(frame(i, chunk), HIGH_WATER), Ok(None));
        }
        let sent = q.drain(LOW_WATER);
        let bytes: usize = sent.iter().map(size).sum();
        assert!(bytes >= (HIGH_WATER - LOW_WATER) as usize);
        assert!(bytes < (HIGH_WATER - LOW_WATER) as usize + chunk);
        assert_eq!(q.waiting_bytes(), 200 * chunk - bytes);
        assert_eq!(sent[0], frame(0, chunk), "oldest first");
    }

    #[test]
    fn a_peer_that_does_not_read_costs_at_most_the_cap() {
        let mut q = SendQueue::default();
        let chunk = 16_000;
        let mut accepted = 0;
        let err = loop {
            match q.push(frame(0, chunk), HIGH_WATER) {
                Ok(_) => accepted += chunk,
                Err(e) => break e,
            }
        };
        assert_eq!(err, Overflow);
        assert!(accepted <= MAX_WAITING && accepted + chunk > MAX_WAITING);
        assert_eq!(q.waiting_bytes(), accepted);
    }
}
