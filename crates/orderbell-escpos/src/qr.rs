//! QR codes: native GS ( k commands, or a raster drawn here for printers without them.

use qrcode::{Color, EcLevel};

use crate::command::GS;
use crate::document::{QrCode, QrErrorCorrection};
use crate::error::Error;
use crate::raster::Raster;

/// A QR code checked against the paper: its module matrix is known and the module
/// size is reduced (never below 1) until the symbol fits `max_dots`.
#[derive(Debug, Clone)]
pub(crate) struct PreparedQr {
    pub(crate) module_size: u8,
    modules: usize,
    colors: Vec<Color>,
}

/// Encode `qr` and fit it to `max_dots`. `Ok(None)` for empty data (prints nothing,
/// like python-escpos).
pub(crate) fn prepare(qr: &QrCode, max_dots: u32) -> Result<Option<PreparedQr>, Error> {
    if !(1..=16).contains(&qr.module_size) {
        return Err(Error::QrModuleSize(qr.module_size));
    }
    if qr.data.is_empty() {
        return Ok(None);
    }
    let code = qrcode::QrCode::with_error_correction_level(
        qr.data.as_bytes(),
        ec_level(qr.error_correction),
    )
    .map_err(|_| Error::QrTooLong { len: qr.data.len() })?;
    let modules = code.width();
    // Room for one quiet module on each side when drawn as raster.
    let span = u32::try_from(modules + 2).unwrap_or(u32::MAX);
    let mut module_size = qr.module_size;
    while module_size > 1 && span.saturating_mul(u32::from(module_size)) > max_dots {
        module_size -= 1;
    }
    Ok(Some(PreparedQr {
        module_size,
        modules,
        colors: code.into_colors(),
    }))
}

fn ec_level(level: QrErrorCorrection) -> EcLevel {
    match level {
        QrErrorCorrection::L => EcLevel::L,
        QrErrorCorrection::M => EcLevel::M,
        QrErrorCorrection::Q => EcLevel::Q,
        QrErrorCorrection::H => EcLevel::H,
    }
}

/// The native command sequence (GS ( k, cn = 49) for a QR code:
/// model 2 (fn 65), module size (fn 67), error correction (fn 69), store data (fn 80),
/// print (fn 81). Byte for byte what python-escpos `qr(…, native=True)` sends.
///
/// # Errors
/// [`Error::QrModuleSize`] outside 1..=16, [`Error::QrTooLong`] when the data cannot
/// be a QR code.
pub fn gs_k(data: &[u8], module_size: u8, ec: QrErrorCorrection) -> Result<Vec<u8>, Error> {
    if !(1..=16).contains(&module_size) {
        return Err(Error::QrModuleSize(module_size));
    }
    // Largest byte-mode payload of a version 40 symbol is 2953 bytes (level L).
    if data.len() > 7089 || u16::try_from(data.len() + 3).is_err() {
        return Err(Error::QrTooLong { len: data.len() });
    }
    let ec_n = match ec {
        QrErrorCorrection::L => 48,
        QrErrorCorrection::M => 49,
        QrErrorCorrection::Q => 50,
        QrErrorCorrection::H => 51,
    };
    let mut out = Vec::with_capacity(data.len() + 40);
    push_fn(&mut out, 65, &[50, 0]);
    push_fn(&mut out, 67, &[module_size]);
    push_fn(&mut out, 69, &[ec_n]);
    let mut store = Vec::with_capacity(data.len() + 1);
    store.push(48);
    store.extend_from_slice(data);
    push_fn(&mut out, 80, &store);
    push_fn(&mut out, 81, &[48]);
    Ok(out)
}

/// GS ( k pL pH cn=49 fn params…
fn push_fn(out: &mut Vec<u8>, function: u8, params: &[u8]) {
    let len = u16::try_from(params.len() + 2).unwrap_or(u16::MAX);
    out.extend_from_slice(&[GS, b'(', b'k']);
    out.extend_from_slice(&len.to_le_bytes());
    out.push(49);
    out.push(function);
    out.extend_from_slice(params);
}

/// The symbol of `code` as a bitmap (one quiet module around it), its module size
/// reduced until it fits `max_dots`. `Ok(None)` for empty data.
///
/// # Errors
/// As [`gs_k`].
pub fn to_raster(code: &QrCode, max_dots: u32) -> Result<Option<Raster>, Error> {
    Ok(prepare(code, max_dots)?.map(|prepared| prepared.to_raster()))
}

impl PreparedQr {
    /// The symbol as a bitmap with a one-module quiet zone (as python-escpos draws it
    /// with the `qrcode` library and `border=1`).
    pub(crate) fn to_raster(&self) -> Raster {
        let size = u32::from(self.module_size);
        let modules = u32::try_from(self.modules).unwrap_or(0);
        let side = (modules + 2) * size;
        Raster::from_fn(side, side, |x, y| {
            let (mx, my) = (x / size, y / size);
            if mx == 0 || my == 0 || mx > modules || my > modules {
                return false;
            }
            let index = (my - 1) as usize * self.modules + (mx - 1) as usize;
            self.colors.get(index) == Some(&Color::Dark)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_sequence() {
        let bytes = gs_k(b"AB", 3, QrErrorCorrection::L).unwrap_or_default();
        assert_eq!(
            bytes,
            [
                0x1D, 0x28, 0x6B, 4, 0, 49, 65, 50, 0, // model 2
                0x1D, 0x28, 0x6B, 3, 0, 49, 67, 3, // module size
                0x1D, 0x28, 0x6B, 3, 0, 49, 69, 48, // EC L
                0x1D, 0x28, 0x6B, 5, 0, 49, 80, 48, b'A', b'B', // store
                0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48, // print
            ]
        );
    }

    #[test]
    fn shrinks_to_fit() {
        let qr = QrCode {
            module_size: 16,
            ..QrCode::new("https://example.com/t/0123456789abcdef")
        };
        let prepared = prepare(&qr, 384).ok().flatten();
        let raster = prepared.map(|p| p.to_raster());
        assert!(raster.is_some_and(|r| r.width() <= 384 && r.width() == r.height()));
    }
}
