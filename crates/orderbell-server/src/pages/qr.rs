//! QR codes for the chat links, drawn on the server as SVG (the `qrcode` crate's renderer).
//!
//! The page template writes the `<svg>` element itself from the square size and the path
//! data, both escaped like every other value: no markup is ever inserted unescaped, and the
//! drawing uses presentation attributes (`fill`), which the page's CSP allows, never `style`.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// A QR code for the `qr` macro of `templates/_macros.html`: a `size`×`size` square (quiet zone
/// included) and the path of its dark modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qr {
    /// The text it encodes (for the accessible label and tests).
    pub data: String,
    /// Width and height in modules, quiet zone included (the `viewBox`).
    pub size: u32,
    /// SVG path data of the dark modules (`M4 4h7v1H4V4…`).
    pub path: String,
}

impl Qr {
    /// Encodes `data` (medium error correction); `None` if it does not fit a QR code.
    pub fn new(data: &str) -> Option<Qr> {
        let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
        let image = code
            .render::<svg::Color<'_>>()
            .quiet_zone(true)
            .module_dimensions(1, 1)
            .build();
        let size = attribute(&image, "width")?.parse().ok()?;
        let path = attribute(&image, "d")?.to_owned();
        let safe = path
            .bytes()
            .all(|b| b.is_ascii_digit() || b" MmHhVvZz".contains(&b));
        safe.then(|| Qr {
            data: data.to_owned(),
            size,
            path,
        })
    }
}

/// The value of the first `name="…"` attribute in the renderer's output.
fn attribute<'a>(svg: &'a str, name: &str) -> Option<&'a str> {
    let start = svg.find(&format!(" {name}=\""))? + name.len() + 3;
    let rest = svg.get(start..)?;
    Some(&rest[..rest.find('"')?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_square_with_a_quiet_zone() {
        let qr = Qr::new("https://t.me/orderbell_bot?start=o_abc").unwrap();
        // Version 3 at level M is 29 modules; the quiet zone adds 4 on each side.
        let modules = QrCode::with_error_correction_level(
            "https://t.me/orderbell_bot?start=o_abc",
            EcLevel::M,
        )
        .unwrap()
        .width() as u32;
        assert_eq!(qr.size, modules + 8);
        assert!(qr.path.starts_with("M4 4h"), "{}", qr.path);
        assert!(!qr.path.contains('"') && !qr.path.contains('<'));
    }

    #[test]
    fn long_data_does_not_fit() {
        assert!(Qr::new(&"x".repeat(5000)).is_none());
    }
}
