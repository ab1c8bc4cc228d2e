//! The shared store suite against the memory store.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use peerchat_vault::{suite, MemoryStore};

/// The memory store never waits, so one poll finishes every future.
fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the memory store never waits"),
    }
}

#[test]
fn profile_lifecycle() {
    run(suite::profile_lifecycle(&MemoryStore::new()));
}

#[test]
fn batches_put_and_delete_together() {
    run(suite::batches_put_and_delete_together(&MemoryStore::new()));
}

#[test]
fn put_get_delete() {
    run(suite::put_get_delete(&MemoryStore::new()));
}

#[test]
fn ranges_are_ordered_and_bounded() {
    run(suite::ranges_are_ordered_and_bounded(&MemoryStore::new()));
}

#[test]
fn sealed_records_leave_no_plaintext() {
    let store = MemoryStore::new();
    run(suite::sealed_records_leave_no_plaintext(&store));
    for (_, key, value) in store.dump() {
        assert!(!key.contains("room"), "{key}");
        assert!(!String::from_utf8_lossy(&value).contains("noon"));
    }
}

#[test]
fn a_full_store_loses_nothing() {
    run(suite::a_full_store_loses_nothing(
        &MemoryStore::with_quota(1024),
        &[0; 2048],
    ));
}
