//! QR codes: PNG files and terminal drawings of ticket codes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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

/// The light border around a code, in modules: the four the QR standard asks for.
const QUIET_ZONE: usize = 4;

/// `payload` as the bytes of a PNG QR code at error correction level M (15% of it may be
/// lost): dark modules of [`MODULE_PIXELS`] square on
/// white inside the standard quiet zone, written as a 1-bit grayscale PNG (every pixel is
/// black or white), which is small and quick to write.
pub fn png_bytes(payload: &str) -> Result<Vec<u8>> {
    // fast_qr builds the matrix (choosing the mask by the standard's penalty rules) in a
    // fraction of the time of the `qrcode` crate, which the terminal drawing still uses.
    let code = fast_qr::QRBuilder::new(payload.as_bytes())
        .ecl(fast_qr::ECL::M)
        .build()
        .map_err(|e| Error::invalid("qr payload", format!("cannot be drawn as a QR code: {e}")))?;
    let modules = code.size;
    let colors = code.data.get(..modules * modules).unwrap_or_default();
    let scale = MODULE_PIXELS as usize;
    let side = (modules + 2 * QUIET_ZONE) * scale;
    let row_bytes = side.div_ceil(8);
    // 1 is white in a 1-bit grayscale PNG: start white, clear the dark modules' bits.
    let mut pixels = vec![0xFFu8; row_bytes * side];
    for (y, row_modules) in colors.chunks(modules).enumerate() {
        let mut row = vec![0xFFu8; row_bytes];
        for (x, color) in row_modules.iter().enumerate() {
            if color.value() {
                for col in (QUIET_ZONE + x) * scale..(QUIET_ZONE + x + 1) * scale {
                    row[col / 8] &= !(0x80u8 >> (col % 8));
                }
            }
        }
        let top = (QUIET_ZONE + y) * scale;
        for line in pixels.chunks_mut(row_bytes).skip(top).take(scale) {
            line.copy_from_slice(&row);
        }
    }
    let failed = |e: png::EncodingError| {
        Error::invalid("qr payload", format!("cannot be drawn as a PNG: {e}"))
    };
    let mut bytes = Vec::with_capacity(1024);
    let mut encoder = png::Encoder::new(&mut bytes, side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    // Each row of modules repeats MODULE_PIXELS times: the "up" filter turns the repeats
    // into zeros, which the fastest deflate squeezes to almost nothing.
    encoder.set_deflate_compression(png::DeflateCompression::FdeflateUltraFast);
    encoder.set_filter(png::Filter::Up);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&pixels).map_err(failed)?;
    writer.finish().map_err(failed)?;
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
/// all cores. `progress` is called after each file with the number written so far.
///
/// Every image is first written under a temporary name; then the file system is synced
/// once (not once per file, which would bound a 100,000-code event by the disk's syncs),
/// and only then are the files renamed to their names. A name therefore never holds a
/// half-written image, even after a power cut. On the first failure (a full disk, say)
/// every worker stops, no temporary file is left, and the error says how many files were
/// completely written.
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
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results = on_all_cores(items, |part| {
        let mut written = Vec::with_capacity(part.len());
        for (stem, payload) in part {
            if failed.load(Ordering::Relaxed) {
                break;
            }
            let path = dir.join(format!("{stem}.png"));
            let tmp = crate::files::temp_path(&path);
            let wrote = png_bytes(payload).and_then(|bytes| {
                std::fs::write(&tmp, bytes).map_err(|source| Error::Io {
                    action: "write",
                    path: path.clone(),
                    source,
                })
            });
            // Recorded before the error is looked at: a partly written temporary file is
            // removed with the others.
            written.push((tmp, path));
            if let Err(e) = wrote {
                failed.store(true, Ordering::Relaxed);
                return (written, Some(e));
            }
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
        }
        (written, None)
    })?;
    let mut pairs = Vec::with_capacity(items.len());
    let mut first_error = None;
    for (written, error) in results {
        pairs.extend(written);
        first_error = first_error.or(error);
    }
    let renamed = match first_error {
        Some(e) => Err(e),
        None => crate::files::sync_files(dir, pairs.iter().map(|(tmp, _)| tmp.as_path()))
            .and_then(|()| {
                on_all_cores(&pairs, |part| {
                    part.iter().try_for_each(|(tmp, path)| {
                        std::fs::rename(tmp, path).map_err(|source| Error::Io {
                            action: "write",
                            path: path.clone(),
                            source,
                        })
                    })
                })?
                .into_iter()
                .collect::<Result<()>>()
            })
            .and_then(|()| crate::files::sync_files(dir, std::iter::empty())),
    };
    match renamed {
        Ok(()) => Ok(pairs.into_iter().map(|(_, path)| path).collect()),
        Err(e) => {
            for (tmp, _) in &pairs {
                let _ = std::fs::remove_file(tmp);
            }
            let written = pairs.iter().filter(|(_, path)| path.exists()).count();
            Err(Error::Incomplete {
                written: written.min(done.load(Ordering::Relaxed)),
                total: items.len(),
                source: Box::new(e),
            })
        }
    }
}

/// Runs `f` on `items` split into one part per core; the parts' results in order.
fn on_all_cores<T: Sync, U: Send>(items: &[T], f: impl Fn(&[T]) -> U + Sync) -> Result<Vec<U>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| f(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| Error::Corrupt("a QR worker thread panicked".into()))
            })
            .collect()
    })
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
