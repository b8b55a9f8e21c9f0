//! Metadata cut from images before they are served: a phone's photo carries where it was taken
//! (EXIF GPS), the device and often the owner's name. Only the container is rewritten (the
//! pixels are not re-encoded): JPEG's EXIF/XMP (APP1), IPTC (APP13) and comment segments;
//! PNG's eXIf and text chunks; WebP's EXIF. A colour profile (JPEG APP2, PNG iCCP) stays.

use bytes::Bytes;
use img_parts::jpeg::Jpeg;
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::ImageEXIF;

/// JPEG segments that carry metadata: APP1 (EXIF, XMP), APP13 (IPTC), COM.
const JPEG_METADATA: [u8; 3] = [0xE1, 0xED, 0xFE];
/// PNG chunks that carry metadata.
const PNG_METADATA: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];

/// `bytes` (of type `mime`) without their metadata; `None` when there was none to cut, or the
/// container is not one of these (the bytes are then served as they are).
pub fn strip(mime: &str, bytes: Bytes) -> Option<Bytes> {
    match mime {
        "image/jpeg" => {
            let mut jpeg = Jpeg::from_bytes(bytes).ok()?;
            let before = jpeg.segments().len();
            jpeg.segments_mut()
                .retain(|s| !JPEG_METADATA.contains(&s.marker()));
            (jpeg.segments().len() != before).then(|| jpeg.encoder().bytes())
        }
        "image/png" => {
            let mut png = Png::from_bytes(bytes).ok()?;
            let before = png.chunks().len();
            png.chunks_mut()
                .retain(|c| !PNG_METADATA.contains(&&c.kind()));
            (png.chunks().len() != before).then(|| png.encoder().bytes())
        }
        "image/webp" => {
            let mut webp = WebP::from_bytes(bytes).ok()?;
            webp.exif()?;
            webp.set_exif(None);
            Some(webp.encoder().bytes())
        }
        _ => None,
    }
}
