//! A QR code drawn as SVG, for showing an invite to the phone next to you.

use yew::prelude::*;

/// Props of [`QrCode`].
#[derive(Properties, PartialEq)]
pub struct QrCodeProps {
    /// What the code encodes.
    pub text: String,
    /// Accessible description.
    pub label: String,
}

/// The code as one SVG path of dark modules (built from data, never from markup).
#[function_component]
pub fn QrCode(props: &QrCodeProps) -> Html {
    let Ok(code) = qrcode::QrCode::new(props.text.as_bytes()) else {
        return html! {};
    };
    let width = code.width();
    let mut path = String::new();
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == qrcode::Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", i % width + 4, i / width + 4));
        }
    }
    let size = width + 8;
    html! {
        <svg class="qr" role="img" aria-label={props.label.clone()}
            viewBox={format!("0 0 {size} {size}")} width="200" height="200">
            <rect width={size.to_string()} height={size.to_string()} fill="#fff" />
            <path d={path} fill="#000" />
        </svg>
    }
}
