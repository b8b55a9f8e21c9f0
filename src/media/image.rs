//! An image's dimensions and thumbnail, decoded within limits: the header is read first and
//! an image with too many pixels is refused before any decoding, and the decoder's
//! allocations are capped, so a decompression bomb costs nothing.

use std::io::Cursor;

use image::{ImageReader, Limits};

/// What an image is: its size, and its thumbnail as JPEG with the thumbnail's size.
pub struct Probed {
    pub width: u32,
    pub height: u32,
    pub thumb: Vec<u8>,
    pub thumb_width: u32,
    pub thumb_height: u32,
}

/// Why an image was not measured.
pub enum NotAnImage {
    /// More pixels than allowed.
    TooManyPixels(u64),
    /// Not decodable (damaged, or a format this server does not decode).
    Undecodable(String),
}

/// Reads `bytes` as an image: its size (at most `max_pixels`) and a thumbnail whose longest
/// side is `thumb_px`. Runs on a blocking thread.
pub fn probe(bytes: &[u8], max_pixels: u64, thumb_px: u32) -> Result<Probed, NotAnImage> {
    let reader = || {
        ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| NotAnImage::Undecodable(e.to_string()))
    };
    let (width, height) = reader()?
        .into_dimensions()
        .map_err(|e| NotAnImage::Undecodable(e.to_string()))?;
    let pixels = width as u64 * height as u64;
    if pixels > max_pixels {
        return Err(NotAnImage::TooManyPixels(pixels));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // Eight bytes a pixel (RGBA of 16 bits) and room for the decoder's own buffers.
    limits.max_alloc = Some(pixels.saturating_mul(8) + 64 * 1024 * 1024);
    let mut decoder = reader()?;
    decoder.limits(limits);
    let decoded = decoder
        .decode()
        .map_err(|e| NotAnImage::Undecodable(e.to_string()))?;
    let small = decoded.thumbnail(thumb_px, thumb_px).to_rgb8();
    let (thumb_width, thumb_height) = small.dimensions();
    let mut thumb = Vec::new();
    small
        .write_to(&mut Cursor::new(&mut thumb), image::ImageFormat::Jpeg)
        .map_err(|e| NotAnImage::Undecodable(e.to_string()))?;
    Ok(Probed {
        width,
        height,
        thumb,
        thumb_width,
        thumb_height,
    })
}
