//! How the broker connection stands, in words a user can act on.

use peerchat_chat::state::BrokerStatus;
use yew::prelude::*;

/// Props of [`BrokerBanner`].
#[derive(Properties, PartialEq)]
pub struct BrokerBannerProps {
    /// Current state.
    pub status: BrokerStatus,
    /// The broker, as `host:port`.
    pub host: String,
    /// "Try again" after a rejection.
    pub on_retry: Callback<()>,
}

/// One line about the broker, with a retry button when only the user can unblock it.
#[function_component]
pub fn BrokerBanner(props: &BrokerBannerProps) -> Html {
    let host = &props.host;
    let (class, text, retry) = match &props.status {
        BrokerStatus::Connecting => ("info", format!("Connecting to the broker {host}…"), false),
        BrokerStatus::Online => ("ok", "Online: friends can reach you.".to_owned(), false),
        BrokerStatus::Retrying { attempt, retry_in_secs } => (
            "warn",
            format!(
                "Cannot reach the broker {host}. Retrying in {retry_in_secs} s \
                 (attempt {attempt}). Open conversations keep working."
            ),
            false,
        ),
        BrokerStatus::IdTaken => (
            "error",
            "Your ID is in use on the broker, probably by PeerChat open in another tab. \
             Close the other tab, then try again."
                .to_owned(),
            true,
        ),
        BrokerStatus::Refused(msg) => (
            "error",
            format!("The broker {host} refused the connection: “{msg}”. Check the broker settings in config.json, then try again."),
            true,
        ),
    };
    let onclick = props.on_retry.reform(|_: MouseEvent| ());
    html! {
        <div class={classes!("banner", class)} role="status" aria-live="polite">
            <span class="broker-status">{ text }</span>
            if retry { <button type="button" {onclick}>{ "Try again" }</button> }
        </div>
    }
}
