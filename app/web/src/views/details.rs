//! Connection details, folded under a conversation's header and each room member: how
//! the link runs (direct or relayed, round trip, bytes, since when), which step failed when
//! it did not come up, and the broker and ICE servers in use. The details reach the panels
//! through a context, so the screens that mount them pass nothing down.

use std::rc::Rc;

use peerchat_chat::details::{broker_words, bytes, Details, Subject};
use peerchat_chat::state::{BrokerStatus, ChatState};
use web_sys::HtmlDetailsElement;
use yew::prelude::*;

use crate::platform::local_hh_mm;

/// What every connection details panel reads.
#[derive(Clone, PartialEq)]
pub struct DetailsContext {
    details: Rc<Details>,
    broker: BrokerStatus,
    broker_host: Option<String>,
    /// Told when a panel opens (`true`) or closes: the node measures for open ones.
    on_watch: Callback<(Subject, bool)>,
}

impl DetailsContext {
    /// The context for the state shown now; `on_watch` hears which panels are open.
    pub fn new(state: &ChatState, on_watch: Callback<(Subject, bool)>) -> Self {
        Self {
            details: state.details.clone(),
            broker: state.broker.clone(),
            broker_host: state.broker_host.clone(),
            on_watch,
        }
    }
}

/// Props of [`ConnectionDetails`].
#[derive(Properties, PartialEq)]
pub struct ConnectionDetailsProps {
    /// Whose connection.
    pub subject: Subject,
}

/// A folded panel of one conversation's or member's connection details.
#[function_component]
pub fn ConnectionDetails(props: &ConnectionDetailsProps) -> Html {
    let context = use_context::<DetailsContext>();
    let open = use_state(|| false);
    {
        // The node sends fresh numbers only while a panel is open: say when it opens, and
        // when it closes or goes away.
        let on_watch = context.as_ref().map(|c| c.on_watch.clone());
        use_effect_with((props.subject.clone(), *open), move |(subject, open)| {
            let watching = on_watch.filter(|_| *open).map(|cb| (cb, subject.clone()));
            if let Some((cb, subject)) = &watching {
                cb.emit((subject.clone(), true));
            }
            move || {
                if let Some((cb, subject)) = watching {
                    cb.emit((subject, false));
                }
            }
        });
    }
    let Some(c) = context else {
        return Html::default();
    };
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            open.set(e.target_unchecked_into::<HtmlDetailsElement>().open())
        })
    };
    let d = c.details.of(&props.subject);
    let stats = d.and_then(|d| d.stats);
    let failure = d.and_then(|d| d.failure);
    // The gist shows while folded: how the link runs, or that it failed.
    let gist = match (stats, failure) {
        (Some(s), _) => {
            if s.relayed() {
                "relayed"
            } else {
                "direct"
            }
        }
        (None, Some(_)) => "failed",
        (None, None) => "",
    };
    let path = match (stats, d.and_then(|d| d.since_ms)) {
        (Some(s), _) => s.path(),
        (None, Some(_)) => "connected, path not measured yet".to_owned(),
        (None, None) => "not connected".to_owned(),
    };
    let servers = match c.details.ice_servers.as_slice() {
        [] => "none".to_owned(),
        urls => urls.join(", "),
    };
    let host = c
        .broker_host
        .clone()
        .unwrap_or_else(|| "not chosen yet".to_owned());
    html! {
        <details class="connection-details" {ontoggle}>
            <summary>
                <span class="label">{ "Connection details" }</span>
                if !gist.is_empty() { <span class="gist">{ gist }</span> }
            </summary>
            <dl>
                <dt>{ "Path" }</dt><dd class="path">{ path }</dd>
                if let Some(s) = stats {
                    <dt>{ "Round trip" }</dt>
                    <dd>{ s.rtt_ms.map_or_else(|| "not measured yet".to_owned(), |ms| format!("{ms} ms")) }</dd>
                    <dt>{ "Sent, received" }</dt>
                    <dd>{ format!("{}, {}", bytes(s.bytes_sent), bytes(s.bytes_received)) }</dd>
                }
                if let Some(since) = d.and_then(|d| d.since_ms) {
                    <dt>{ "Connected since" }</dt><dd>{ local_hh_mm(since) }</dd>
                }
                if let Some(f) = failure {
                    <dt>{ "Failed" }</dt><dd class="failure">{ f.to_string() }</dd>
                }
                <dt>{ "Broker" }</dt><dd>{ format!("{host}, {}", broker_words(&c.broker)) }</dd>
                <dt>{ "ICE servers" }</dt>
                <dd>{ servers }{ if c.details.relay_only { " (relays only)" } else { "" } }</dd>
            </dl>
        </details>
    }
}
