//! Settings: how much space received files may take on this device (the node refuses a
//! file that would pass it, with a message naming the figure).

use peerchat_node::DEFAULT_FILE_QUOTA;
use web_sys::HtmlInputElement;
use yew::prelude::*;

const KEY: &str = "peerchat.file-quota-mb";

/// The quota in bytes, as set on this device (or the default).
pub fn file_quota() -> u64 {
    use gloo_storage::Storage;
    gloo_storage::LocalStorage::get::<u64>(KEY)
        .map(|mb| mb << 20)
        .unwrap_or(DEFAULT_FILE_QUOTA)
}

/// Props of [`FileQuota`].
#[derive(Properties, PartialEq)]
pub struct FileQuotaProps {
    /// The new quota, in bytes.
    pub on_quota: Callback<u64>,
}

/// The quota's field, in MB.
#[function_component]
pub fn FileQuota(props: &FileQuotaProps) -> Html {
    let mb = use_state(|| file_quota() >> 20);
    let onchange = {
        let (mb, cb) = (mb.clone(), props.on_quota.clone());
        Callback::from(move |e: Event| {
            use gloo_storage::Storage;
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Ok(v) = input.value().parse::<u64>() {
                let v = v.clamp(1, 1 << 20);
                let _ = gloo_storage::LocalStorage::set(KEY, v);
                mb.set(v);
                cb.emit(v << 20);
            }
        })
    };
    html! {
        <section class="card files-quota" aria-labelledby="files-quota-heading">
            <h3 id="files-quota-heading">{ "Files" }</h3>
            <label for="files-quota">{ "Space received files may take (MB)" }</label>
            <input id="files-quota" type="number" min="1" step="1" value={mb.to_string()} {onchange} />
            <p class="hint">{ "A file that would take more is not received; you are told which." }</p>
        </section>
    }
}
