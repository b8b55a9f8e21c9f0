//! What a file is: its type sniffed from its first bytes (never the client's word), and the
//! kind of media that makes it.

/// How many bytes the sniffing reads.
pub const SNIFF_BYTES: usize = 8192;

/// The MIME type of a file that begins with `head`: by its magic number, or `text/plain` for
/// UTF-8 text without control characters, or `application/octet-stream`.
pub fn sniff(head: &[u8]) -> String {
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_string();
    }
    // A cut in the middle of a character at the end of the head is still text.
    let text = match std::str::from_utf8(head) {
        Ok(t) => Some(t),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok(),
        Err(_) => None,
    };
    match text {
        Some(t) if !head.is_empty() && !t.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
            "text/plain".into()
        }
        _ => "application/octet-stream".into(),
    }
}

/// `image`, `video`, `audio` or `file`.
pub fn kind_of(mime: &str) -> &'static str {
    match mime.split('/').next() {
        Some("image") => "image",
        Some("video") => "video",
        Some("audio") => "audio",
        _ => "file",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff("hello, wörld\n".as_bytes()), "text/plain");
        assert_eq!(sniff(&"é".as_bytes()[..1]), "text/plain", "a cut character");
        assert_eq!(
            sniff(b"MZ\x90\0\x03\0\0\0"),
            "application/vnd.microsoft.portable-executable"
        );
        assert_eq!(sniff(b"\0\x01\x02binary"), "application/octet-stream");
        assert_eq!(kind_of("image/webp"), "image");
        assert_eq!(kind_of("audio/ogg"), "audio");
        assert_eq!(kind_of("application/pdf"), "file");
    }
}
