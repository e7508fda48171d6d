//! QR codes for the patient's selection: PNG files, terminal rendering,
//! and reading a PNG back.

use image::{ImageFormat, Luma};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

/// Why a QR code could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The text does not fit in a QR code.
    #[error("the selection is too large for a QR code ({0}); use the file instead")]
    TooLarge(String),
    /// The image is not a readable PNG.
    #[error("the image is not a readable PNG ({0})")]
    Image(String),
    /// The image holds no readable QR code.
    #[error("no readable QR code was found in the image; scan it again or use the selection file")]
    NotFound,
}

fn code(text: &str) -> Result<QrCode, QrError> {
    QrCode::new(text.as_bytes()).map_err(|e| QrError::TooLarge(e.to_string()))
}

/// Renders `text` as a QR code for a terminal (two modules per character).
pub fn render_terminal(text: &str) -> Result<String, QrError> {
    Ok(code(text)?
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// Encodes `text` as a QR code in a PNG image.
pub fn encode_png(text: &str) -> Result<Vec<u8>, QrError> {
    let image = code(text)?
        .render::<Luma<u8>>()
        .module_dimensions(6, 6)
        .build();
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| QrError::Image(e.to_string()))?;
    Ok(png)
}

/// Reads the text of the first QR code in a PNG image.
pub fn decode_png(png: &[u8]) -> Result<String, QrError> {
    let image = image::load_from_memory_with_format(png, ImageFormat::Png)
        .map_err(|e| QrError::Image(e.to_string()))?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    let grid = grids.first().ok_or(QrError::NotFound)?;
    let (_, text) = grid.decode().map_err(|_| QrError::NotFound)?;
    Ok(text)
}

/// The text in a file's bytes: the bytes themselves when they are UTF-8,
/// or the QR code of a PNG image; `Ok(None)` when they are neither.
pub fn text_or_png(bytes: Vec<u8>) -> Result<Option<String>, QrError> {
    if bytes.starts_with(b"\x89PNG") {
        return decode_png(&bytes).map(Some);
    }
    Ok(String::from_utf8(bytes).ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn png_round_trip() {
        let text = format!(
            "{{\"format\":\"medchain-selection-v1\",\"k\":\"{}\"}}",
            "ab".repeat(200)
        );
        let png = encode_png(&text).unwrap();
        assert_eq!(decode_png(&png).unwrap(), text);
    }

    #[test]
    fn not_a_qr_code() {
        let blank = image::GrayImage::from_pixel(64, 64, Luma([255]));
        let mut png = Vec::new();
        blank
            .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        assert!(matches!(decode_png(&png), Err(QrError::NotFound)));
        assert!(matches!(decode_png(b"not a png"), Err(QrError::Image(_))));
    }

    #[test]
    fn terminal_rendering_has_rows() {
        let rendered = render_terminal("hello").unwrap();
        assert!(rendered.lines().count() > 10);
    }
}
