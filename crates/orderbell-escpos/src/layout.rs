//! Column layout: wrapping paragraphs, column rows and separators into lines that
//! never exceed the paper width. Widths come from the text mode (East Asian wide
//! characters take two columns).

use crate::document::Columns;
use crate::text_mode::Charset;

/// A character and the columns it takes.
pub(crate) type Cell = (char, usize);
/// One printed line.
pub(crate) type Line = Vec<Cell>;

/// Total columns of a line.
pub(crate) fn width(line: &[Cell]) -> usize {
    line.iter().map(|&(_, cols)| cols).sum()
}

/// `text` prepared for `charset` as cells. A character wider than the whole line
/// (only possible at extreme sizes) becomes `?`.
fn cells(text: &str, charset: Charset, max: usize) -> Vec<Cell> {
    charset
        .prepare(text)
        .chars()
        .map(|c| {
            let cols = charset.columns(c);
            if cols > max { ('?', 1) } else { (c, cols) }
        })
        .collect()
}

/// Wrap `text` to `max` columns: at spaces when possible, else anywhere. `\n` starts
/// a new line; every paragraph yields at least one (possibly empty) line.
pub(crate) fn wrap(text: &str, max: usize, charset: Charset) -> Vec<Line> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        wrap_cells(&cells(paragraph, charset, max), max, &mut lines);
    }
    lines
}

fn wrap_cells(cells: &[Cell], max: usize, lines: &mut Vec<Line>) {
    let first = lines.len();
    let mut current: Line = Vec::new();
    let mut current_width = 0;
    for &cell in cells {
        if current_width + cell.1 > max {
            if cell.0 == ' ' {
                push_line(lines, std::mem::take(&mut current));
                current_width = 0;
                continue;
            }
            // Break after the last space if there is one (and it is not leading).
            let split = current
                .iter()
                .rposition(|&(c, _)| c == ' ')
                .filter(|&i| i > 0);
            let rest = match split {
                Some(i) => current.split_off(i + 1),
                None => Vec::new(),
            };
            push_line(lines, std::mem::take(&mut current));
            current = rest;
            current_width = width(&current);
        }
        if current.is_empty() && cell.0 == ' ' && lines.len() > first {
            // No leading spaces on continuation lines.
            continue;
        }
        current.push(cell);
        current_width += cell.1;
    }
    if !current.is_empty() || lines.len() == first {
        push_line(lines, current);
    }
}

fn push_line(lines: &mut Vec<Line>, mut line: Line) {
    while line.last().is_some_and(|&(c, _)| c == ' ') {
        line.pop();
    }
    lines.push(line);
}

/// Cut `cells` to at most `max` columns; if anything was cut, the last kept cell
/// becomes `~`.
fn truncate(cells: &mut Line, max: usize) {
    if width(cells) <= max {
        return;
    }
    let mut used = 0;
    let mut keep = 0;
    for &(_, cols) in cells.iter() {
        if used + cols > max {
            break;
        }
        used += cols;
        keep += 1;
    }
    cells.truncate(keep);
    if max > 0 {
        while width(cells) + 1 > max {
            if cells.pop().is_none() {
                break;
            }
        }
        cells.push(('~', 1));
    }
}

/// Lay out a column row in `max` columns. The right (and middle) columns go on the
/// first line; the left column wraps in what remains.
pub(crate) fn columns(row: &Columns, max: usize, charset: Charset) -> Vec<Line> {
    let max = max.max(1);
    let mut right = cells(&row.right, charset, max);
    let mut middle = row.middle.as_deref().map(|m| cells(m, charset, max));
    let fill = cells(&row.fill.to_string(), charset, max)
        .first()
        .copied()
        .filter(|&(_, cols)| cols == 1)
        .unwrap_or((' ', 1));

    // Right and middle together (with their separating spaces) get at most two
    // thirds of the line, so the left column always keeps a third.
    let budget = max - max.div_ceil(3);
    let gap = usize::from(!right.is_empty());
    truncate(&mut right, budget.saturating_sub(gap));
    if let Some(m) = middle.as_mut() {
        let room = budget.saturating_sub(width(&right) + gap + usize::from(!m.is_empty()));
        truncate(m, room);
    }
    let middle_width = middle
        .as_ref()
        .map_or(0, |m| if m.is_empty() { 0 } else { width(m) + 1 });
    let side = width(&right) + middle_width;
    let left_max = max.saturating_sub(side + gap).max(1);

    let mut left_lines = Vec::new();
    for paragraph in row.left.split('\n') {
        wrap_cells(
            &cells(paragraph, charset, left_max),
            left_max,
            &mut left_lines,
        );
    }
    let mut lines = Vec::with_capacity(left_lines.len());
    let mut left_iter = left_lines.into_iter();
    let mut first = left_iter.next().unwrap_or_default();
    let pad = max.saturating_sub(width(&first) + side);
    if fill.0 != ' ' && pad >= 3 && !first.is_empty() {
        first.push((' ', 1));
        first.extend(std::iter::repeat_n(fill, pad - 2));
        first.push((' ', 1));
    } else {
        first.extend(std::iter::repeat_n((' ', 1), pad));
    }
    if let Some(m) = middle.filter(|m| !m.is_empty()) {
        first.extend(m);
        first.push((' ', 1));
    }
    first.extend(right);
    push_line(&mut lines, first);
    lines.extend(left_iter);
    lines
}

/// A line of `ch` repeated across `max` columns.
pub(crate) fn separator(ch: char, max: usize, charset: Charset) -> Line {
    let cell = cells(&ch.to_string(), charset, max)
        .first()
        .copied()
        .unwrap_or(('-', 1));
    let count = max / cell.1.max(1);
    vec![cell; count]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::CodePage;

    const UTF8: Charset = Charset::Utf8;

    fn text(line: &Line) -> String {
        line.iter().map(|&(c, _)| c).collect()
    }

    #[test]
    fn wraps_at_spaces() {
        let lines = wrap("the quick brown fox", 10, UTF8);
        let texts: Vec<_> = lines.iter().map(text).collect();
        assert_eq!(texts, ["the quick", "brown fox"]);
    }

    #[test]
    fn wide_characters_count_double() {
        let lines = wrap("아메리카노아이스", 7, UTF8);
        let texts: Vec<_> = lines.iter().map(text).collect();
        assert_eq!(texts, ["아메리", "카노아", "이스"]);
    }

    #[test]
    fn column_row_with_leaders() {
        let row = Columns::new("2 x Americano", "₩9,000").with_fill('.');
        let lines = columns(&row, 32, UTF8);
        assert_eq!(lines.len(), 1);
        assert_eq!(text(&lines[0]), "2 x Americano ........... ₩9,000");
        assert_eq!(width(&lines[0]), 32);
    }

    #[test]
    fn left_column_wraps_right_stays_on_first_line() {
        let row = Columns::new("2 x Very long seasonal drink name with oat milk", "₩13,000");
        let lines = columns(&row, 32, UTF8);
        assert!(lines.len() > 1);
        assert!(text(&lines[0]).ends_with("₩13,000"));
        assert!(lines.iter().all(|l| width(l) <= 32));
    }

    #[test]
    fn oversized_right_is_truncated() {
        let row = Columns::new("x", "y".repeat(100)).with_middle("z".repeat(100));
        let lines = columns(&row, 32, Charset::Ascii(CodePage::Cp437));
        assert!(lines.iter().all(|l| width(l) <= 32));
        assert!(text(&lines[0]).contains('~'));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// The layout guarantee behind every mode (drawn lines would be clipped
        /// silently, so this is checked here rather than on the bytes).
        #[test]
        fn lines_never_exceed_width(
            left in "\\PC{0,60}|[가-힣똠 ]{0,40}",
            right in "\\PC{0,30}",
            middle in proptest::option::of("\\PC{0,20}"),
            max in 1usize..=48,
            fill in proptest::prelude::any::<char>(),
        ) {
            for charset in [
                Charset::Ascii(CodePage::Cp437),
                Charset::Ascii(CodePage::Cp1252),
                Charset::KsX1001,
                Charset::Utf8,
                Charset::Image,
            ] {
                for line in wrap(&left, max, charset) {
                    proptest::prop_assert!(width(&line) <= max);
                }
                let row = Columns { left: left.clone(), middle: middle.clone(), right: right.clone(), fill, style: crate::Style::PLAIN };
                for line in columns(&row, max, charset) {
                    proptest::prop_assert!(width(&line) <= max, "{:?}", line);
                }
                proptest::prop_assert!(width(&separator(fill, max, charset)) <= max);
            }
        }
    }
}
