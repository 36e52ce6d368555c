//! QR codes: PNG files and terminal drawings of ticket codes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use image::Luma;
use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};

use crate::error::{Error, Result};

/// Pixels per QR module in PNG files: large enough to print and to scan from a screen.
const MODULE_PIXELS: u32 = 6;

fn code(payload: &str) -> Result<QrCode> {
    // Medium error correction survives creased paper and cracked phone screens while the
    // code stays small; ticket codes are upper-case base32, so the encoder uses the
    // compact alphanumeric mode.
    QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| Error::invalid("qr payload", format!("cannot be drawn as a QR code: {e}")))
}

/// `payload` as the bytes of a PNG QR code.
pub fn png_bytes(payload: &str) -> Result<Vec<u8>> {
    let image = code(payload)?
        .render::<Luma<u8>>()
        .module_dimensions(MODULE_PIXELS, MODULE_PIXELS)
        .build();
    let mut bytes = Vec::with_capacity(4096);
    image
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .map_err(|e| Error::invalid("qr payload", format!("cannot be drawn as a PNG: {e}")))?;
    Ok(bytes)
}

/// Writes `payload` as a PNG QR code to `path`: to a temporary file, synced, then
/// renamed, so `path` never holds an empty or half-written image.
pub fn write_png(payload: &str, path: &Path) -> Result<()> {
    crate::files::write_atomic(path, &png_bytes(payload)?)
}

/// Draws `payload` as a QR code with Unicode half blocks, light on dark, for a terminal.
pub fn terminal(payload: &str) -> Result<String> {
    Ok(code(payload)?
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// Writes one PNG per `(file stem, payload)` into `dir`, named `STEM.png`, spread over
/// all cores. `progress` is called after each file with the number written so far. On
/// the first failure (a full disk, say) every worker stops, and the error says how many
/// files were completely written.
pub fn write_many(
    items: &[(String, String)],
    dir: &Path,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        action: "create directory",
        path: dir.to_path_buf(),
        source,
    })?;
    crate::files::remove_stale_temps(dir);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let chunk = items.len().div_ceil(threads).max(1);
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Vec<Result<Vec<PathBuf>>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let (done, failed) = (&done, &failed);
                s.spawn(move || {
                    let mut paths = Vec::with_capacity(part.len());
                    for (stem, payload) in part {
                        if failed.load(Ordering::Relaxed) {
                            break;
                        }
                        let path = dir.join(format!("{stem}.png"));
                        if let Err(e) = write_png(payload, &path) {
                            failed.store(true, Ordering::Relaxed);
                            return Err(e);
                        }
                        paths.push(path);
                        progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                    }
                    Ok(paths)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Corrupt("a QR worker thread panicked".into())))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(items.len());
    let mut first_error = None;
    for r in results {
        match r {
            Ok(paths) => all.extend(paths),
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    match first_error {
        None => Ok(all),
        Some(e) => Err(Error::Incomplete {
            written: done.load(Ordering::Relaxed),
            total: items.len(),
            source: Box::new(e),
        }),
    }
}

/// Reads the QR code in a photo or image file (PNG or JPEG) and returns its text.
pub fn decode_file(path: &Path) -> Result<String> {
    let img = image::open(path)
        .map_err(|e| Error::Io {
            action: "read an image from",
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    let mut last_error = None;
    for grid in grids {
        match grid.decode() {
            Ok((_, text)) => return Ok(text),
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    Err(Error::invalid(
        "image",
        match last_error {
            Some(e) => format!(
                "{} holds a QR code that cannot be read ({e}); take a sharper, straighter photo",
                path.display()
            ),
            None => format!(
                "no QR code found in {}; take a sharper photo with the whole code in it",
                path.display()
            ),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(path: &Path) -> String {
        decode_file(path).unwrap()
    }

    #[test]
    fn png_decodes_to_the_exact_payload() {
        let dir = tempfile::tempdir().unwrap();
        let keys = crate::codes::EventKeys::generate().unwrap();
        let payload = keys.sign(&crate::codes::TicketCode {
            event_id: 3,
            tier_id: 9,
            uuid: uuid::Uuid::new_v4(),
            secret_version: 2,
        });
        let path = dir.path().join("t.png");
        write_png(&payload, &path).unwrap();
        assert_eq!(decode(&path), payload);
    }

    #[test]
    fn many_files_in_parallel() {
        let dir = tempfile::tempdir().unwrap();
        let items: Vec<(String, String)> = (0..7)
            .map(|i| (format!("t{i}"), format!("PAYLOAD{i}")))
            .collect();
        let paths = write_many(&items, dir.path(), &|_| {}).unwrap();
        assert_eq!(paths.len(), 7);
        assert_eq!(decode(&dir.path().join("t4.png")), "PAYLOAD4");
    }

    #[test]
    fn terminal_drawing_has_blocks() {
        let t = terminal("HELLO").unwrap();
        assert!(t.lines().count() > 10);
        assert!(t.contains('█') || t.contains('▀'));
    }
}
