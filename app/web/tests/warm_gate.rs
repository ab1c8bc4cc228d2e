//! The warm-up waits while the app is busy linking: a step runs only once `quiet` says
//! yes, asked again every half second.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use peerchat_web::warm::{when_quiet, BUSY_RETRY_MS};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_step_waits_until_the_app_is_quiet() {
    let asked = Rc::new(Cell::new(0u32));
    let ran = Rc::new(Cell::new(false));
    // Busy the first two times it is asked, quiet from the third.
    let count = asked.clone();
    let quiet = Rc::new(move || {
        count.set(count.get() + 1);
        count.get() >= 3
    });
    let done = ran.clone();
    when_quiet(quiet, 10, move |_| done.set(true));
    // Each check falls half a retry away from the asking around it.
    TimeoutFuture::new(10 + BUSY_RETRY_MS + BUSY_RETRY_MS / 2).await;
    assert_eq!(
        asked.get(),
        2,
        "asked once when due and once more after a retry"
    );
    assert!(!ran.get(), "the step ran while the app was busy");
    TimeoutFuture::new(BUSY_RETRY_MS).await;
    assert_eq!(asked.get(), 3);
    assert!(ran.get(), "the step did not run once the app was quiet");
    TimeoutFuture::new(2 * BUSY_RETRY_MS).await;
    assert_eq!(asked.get(), 3, "asked again after the step ran");
}
