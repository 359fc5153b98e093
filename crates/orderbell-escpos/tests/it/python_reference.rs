//! Byte-level comparison with python-escpos' `Dummy` printer for the commands both
//! libraries produce: QR (native GS ( k, and drawn), raster images (GS v 0 with
//! fragments), cuts, cash-drawer kicks, buzzer. Also checks our code-page and KS X 1001
//! encoders against Python's own codecs.
//!
//! Needs `python3` with `python-escpos` (`pip install python-escpos`). Without it the
//! test is skipped with a loud message, unless `ORDERBELL_REQUIRE_PYTHON_ESCPOS=1`
//! (set by CI), where it fails.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code"
)]

use std::collections::HashMap;
use std::io::Write as _;
use std::process::Command;

use orderbell_escpos::command;
use orderbell_escpos::qr;
use orderbell_escpos::raster::{Raster, gs_v_0};
use orderbell_escpos::text_mode::{encode_code_page, encode_ks_x_1001};
use orderbell_escpos::{
    Align, Buzzer, CodePage, Cut, Document, DrawerKick, DrawerPin, Paper, Profile, QrCode,
    QrErrorCorrection, TextMode, render,
};

/// Same function as `pattern` in tests/reference/escpos_reference.py.
fn pattern(x: u32, y: u32) -> bool {
    (x * 7 + y * 13) % 11 < 4 || x == y
}

fn reference() -> Option<HashMap<String, String>> {
    let required = std::env::var("ORDERBELL_REQUIRE_PYTHON_ESCPOS").is_ok_and(|v| v == "1");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/escpos_reference.py"
    );
    let output = Command::new("python3").arg(script).output();
    let problem = match &output {
        Err(err) => Some(format!("cannot run python3: {err}")),
        Ok(out) if !out.status.success() => Some(format!(
            "reference script failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => None,
    };
    if let Some(problem) = problem {
        if required {
            panic!("ORDERBELL_REQUIRE_PYTHON_ESCPOS=1 but {problem}");
        }
        // Written to the process' stderr directly: libtest captures `eprintln!` of
        // passing tests, and this must be seen.
        let banner = "!".repeat(78);
        let _ = writeln!(
            std::io::stderr(),
            "\n{banner}\n!! SKIPPED: python-escpos byte-level reference comparison.\n!! {problem}\n\
             !! Install it with `pip install python-escpos`; CI sets\n\
             !! ORDERBELL_REQUIRE_PYTHON_ESCPOS=1 so this cannot pass silently there.\n{banner}"
        );
        return None;
    }
    let stdout = String::from_utf8(output.unwrap().stdout).unwrap();
    Some(
        stdout
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(name, hex)| (name.to_owned(), hex.to_owned()))
            .collect(),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn expect_case(refs: &HashMap<String, String>, name: &str, ours: &[u8]) {
    let theirs = refs
        .get(name)
        .unwrap_or_else(|| panic!("reference output has no case {name}"));
    assert_eq!(&hex(ours), theirs, "case {name}: ours vs python-escpos");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn matches_python_escpos() {
    let Some(refs) = reference() else { return };
    let mut checked = 0;

    // Native QR codes.
    let contents = [
        ("url", "https://orderbell.example/t/AbC123"),
        ("hangul", "주문 42 똠양꿍"),
        ("digits", "0123456789"),
    ];
    let levels = [
        ("L", QrErrorCorrection::L),
        ("M", QrErrorCorrection::M),
        ("Q", QrErrorCorrection::Q),
        ("H", QrErrorCorrection::H),
    ];
    for (cname, content) in contents {
        for (lname, level) in levels {
            for size in [1u8, 3, 6, 16] {
                let ours = qr::gs_k(content.as_bytes(), size, level).unwrap();
                expect_case(&refs, &format!("qr_native_{cname}_{lname}_{size}"), &ours);
                checked += 1;
            }
        }
        // And through render(): the same bytes appear in the output.
        let mut doc = Document::new();
        doc.qr(QrCode {
            data: content.into(),
            module_size: 3,
            error_correction: QrErrorCorrection::L,
            align: Align::Left,
        });
        let bytes = render(&doc, &Profile::new(Paper::Mm80, utf8())).unwrap();
        let theirs = unhex(&refs[&format!("qr_native_{cname}_L_3")]);
        assert!(
            contains(&bytes, &theirs),
            "render() output holds python's QR bytes"
        );
    }

    // QR codes drawn as images: python-escpos draws them with the `qrcode` library
    // (border 1). Same version and size, but the two libraries may choose different
    // mask patterns (both legal), so compare the modules with each side's mask
    // removed: data and error-correction codewords must be identical.
    for (cname, content) in contents {
        let code = QrCode {
            data: content.into(),
            module_size: 4,
            error_correction: QrErrorCorrection::M,
            align: Align::Left,
        };
        let raster = qr::to_raster(&code, 576).unwrap().unwrap();
        let ours = gs_v_0(&raster, 960);
        let theirs = unhex(&refs[&format!("qr_image_{cname}_M_4")]);
        let start = theirs
            .windows(4)
            .position(|w| w == [0x1D, b'v', b'0', 0])
            .expect("python-escpos sent a GS v 0 image");
        assert_eq!(
            ours[..8],
            theirs[start..start + 8],
            "drawn QR {cname}: same size"
        );
        let reference =
            qrcode::QrCode::with_error_correction_level(content.as_bytes(), qrcode::EcLevel::M)
                .unwrap();
        let ours = modules(&ours, 4, reference.width());
        let theirs = modules(&theirs[start..], 4, reference.width());
        assert!(
            same_symbol(&ours, &theirs, &reference),
            "drawn QR {cname}: modules differ from python-escpos beyond the mask"
        );
        // The comparison is not vacuous: one flipped data module breaks it.
        let n = reference.width();
        let data_module = (0..n * n)
            .find(|&k| !reference.is_functional(k % n, k / n))
            .unwrap();
        let mut corrupted = ours.clone();
        corrupted[data_module] = !corrupted[data_module];
        assert!(!same_symbol(&corrupted, &theirs, &reference));
        checked += 1;
    }

    // Raster images, chunked like python's fragment_height.
    for (width, height, fragment) in [
        (8u32, 8u32, 960u16),
        (61, 40, 960),
        (100, 5, 2),
        (384, 300, 128),
        (576, 30, 960),
    ] {
        let raster = Raster::from_fn(width, height, pattern);
        let name = format!("image_{width}x{height}_{fragment}");
        expect_case(&refs, &name, &gs_v_0(&raster, fragment));
        // Through render(), left aligned, with the same chunking.
        let mut doc = Document::new();
        doc.image(raster, Align::Left);
        let mut profile = Profile::new(Paper::Mm80, utf8());
        profile.raster_chunk_rows = fragment;
        let bytes = render(&doc, &profile).unwrap();
        assert!(
            contains(&bytes, &unhex(&refs[&name])),
            "render() holds {name}"
        );
        checked += 1;
    }

    // Cuts.
    expect_case(&refs, "cut_full", &command::cut(Cut::FULL));
    expect_case(&refs, "cut_partial", &command::cut(Cut::PARTIAL));
    let mut doc = Document::new();
    doc.cut(Cut::PARTIAL);
    let bytes = render(&doc, &Profile::new(Paper::Mm58, utf8())).unwrap();
    assert!(contains(&bytes, &unhex(&refs["cut_partial"])));

    // Cash drawer.
    expect_case(&refs, "cashdraw_2", &command::drawer_kick(DrawerKick::PIN2));
    expect_case(&refs, "cashdraw_5", &command::drawer_kick(DrawerKick::PIN5));
    let custom = DrawerKick {
        pin: DrawerPin::Pin5,
        on_time: 25,
        off_time: 250,
    };
    expect_case(&refs, "cashdraw_5_25_250", &command::drawer_kick(custom));
    let mut doc = Document::new();
    doc.drawer_kick(DrawerKick::PIN2);
    let bytes = render(&doc, &Profile::new(Paper::Mm58, utf8())).unwrap();
    assert!(contains(&bytes, &unhex(&refs["cashdraw_2"])));

    // Buzzer.
    for (times, duration) in [(1u8, 1u8), (2, 4), (9, 9)] {
        let ours = command::buzzer(Buzzer { times, duration }).unwrap();
        expect_case(&refs, &format!("buzzer_{times}_{duration}"), &ours);
    }
    checked += 8;
    assert!(checked > 60, "checked {checked} cases");
}

#[test]
fn code_pages_match_python_codecs() {
    let Some(refs) = reference() else { return };
    for (name, cp) in [
        ("cp437", CodePage::Cp437),
        ("cp858", CodePage::Cp858),
        ("cp1252", CodePage::Cp1252),
    ] {
        let table = &refs[&format!("codepage_{name}")];
        let mut count = 0;
        for entry in table.split(',') {
            let (byte, code_point) = entry.split_once('=').unwrap();
            let byte = u8::from_str_radix(byte, 16).unwrap();
            let c = char::from_u32(u32::from_str_radix(code_point, 16).unwrap()).unwrap();
            if c.is_control() {
                // Never sent (would be a command); our encoder refuses it.
                assert_eq!(encode_code_page(cp, c), None, "{name} {c:?}");
                continue;
            }
            assert_eq!(encode_code_page(cp, c), Some(byte), "{name}: {c:?}");
            count += 1;
        }
        assert!(count >= 120, "{name}: only {count} characters checked");
    }
}

#[test]
fn ks_x_1001_matches_python_euc_kr() {
    let Some(refs) = reference() else { return };
    let mut in_table = std::collections::HashSet::new();
    for entry in refs["ksx1001"].split(',') {
        let (pair, code_point) = entry.split_once('=').unwrap();
        let pair = unhex(pair);
        let c = char::from_u32(u32::from_str_radix(code_point, 16).unwrap()).unwrap();
        in_table.insert(c);
        assert_eq!(
            encode_ks_x_1001(c).map(|p| p.to_vec()),
            Some(pair.clone()),
            "{c:?} (U+{:04X})",
            u32::from(c)
        );
    }
    assert!(
        in_table.len() > 8000,
        "{} KS X 1001 characters",
        in_table.len()
    );
    // Every Hangul syllable Python's KS X 1001 table lacks is refused by ours.
    let mut refused = 0;
    for c in ('\u{AC00}'..='\u{D7A3}').filter(|c| !in_table.contains(c)) {
        assert_eq!(encode_ks_x_1001(c), None, "{c:?} is not in KS X 1001");
        refused += 1;
    }
    assert_eq!(refused, 11_172 - 2_350);
}

fn utf8() -> TextMode {
    TextMode::Utf8 {
        select_command: false,
    }
}

/// Module colours of a QR drawn at `size` dots per module with a one-module border,
/// read from a GS v 0 command.
fn modules(command: &[u8], size: usize, n: usize) -> Vec<bool> {
    let row_bytes = usize::from(command[4]) + 256 * usize::from(command[5]);
    let data = &command[8..];
    let mut out = Vec::with_capacity(n * n);
    for my in 0..n {
        for mx in 0..n {
            let (x, y) = ((mx + 1) * size + size / 2, (my + 1) * size + size / 2);
            out.push(data[y * row_bytes + x / 8] & (0x80 >> (x % 8)) != 0);
        }
    }
    out
}

/// ISO/IEC 18004 data mask `mask` at row `i`, column `j`.
fn mask(mask: u8, i: usize, j: usize) -> bool {
    match mask {
        0 => (i + j) % 2 == 0,
        1 => i % 2 == 0,
        2 => j % 3 == 0,
        3 => (i + j) % 3 == 0,
        4 => (i / 2 + j / 3) % 2 == 0,
        5 => (i * j) % 2 + (i * j) % 3 == 0,
        6 => ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        _ => ((i + j) % 2 + (i * j) % 3) % 2 == 0,
    }
}

/// Whether two module matrices are the same symbol up to the mask choice: function
/// patterns equal (format information aside), and some pair of masks makes every
/// data module equal.
fn same_symbol(a: &[bool], b: &[bool], reference: &qrcode::QrCode) -> bool {
    let n = reference.width();
    let functional_equal = (0..n).all(|i| {
        (0..n).all(|j| {
            !reference.is_functional(j, i) || i == 8 || j == 8 || a[i * n + j] == b[i * n + j]
        })
    });
    functional_equal
        && (0..8u8).any(|ma| {
            (0..8u8).any(|mb| {
                (0..n).all(|i| {
                    (0..n).all(|j| {
                        reference.is_functional(j, i)
                            || (a[i * n + j] ^ mask(ma, i, j)) == (b[i * n + j] ^ mask(mb, i, j))
                    })
                })
            })
        })
}
