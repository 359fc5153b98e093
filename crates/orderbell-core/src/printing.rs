//! Which lines of an order a printer prints: every line, or only those whose menu item is in one
//! of the categories the printer was given (a kitchen printer for food, a bar printer for
//! drinks). The store uses it to decide whether a printer gets a job at all, the printer session
//! to leave the other lines off the ticket: one rule for both (see docs/ARCHITECTURE.md).

use std::collections::HashMap;

use crate::CategoryId;
use crate::menu::Menu;
use crate::order::{Order, OrderItem};

/// Menu item id → category id, for the lines of orders (which keep the item id they came from).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemCategories(HashMap<String, String>);

impl ItemCategories {
    /// From (menu item id, category id) pairs, e.g. rows of the store.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> ItemCategories {
        ItemCategories(pairs.into_iter().collect())
    }

    /// From a shop's menu.
    pub fn of_menu(menu: &Menu) -> ItemCategories {
        ItemCategories::from_pairs(menu.categories.iter().flat_map(|c| {
            c.items
                .iter()
                .map(move |i| (i.id.to_string(), c.id.to_string()))
        }))
    }

    fn of(&self, item: &OrderItem) -> Option<&str> {
        self.0
            .get(item.menu_item_id.as_deref()?)
            .map(String::as_str)
    }
}

/// A printer's category filter: `None` prints everything. A line whose item is no longer on the
/// menu (or never was) belongs to no category, so a filtering printer leaves it off.
#[derive(Debug, Clone, Copy)]
pub struct CategoryFilter<'a> {
    keep: Option<&'a [CategoryId]>,
    categories: &'a ItemCategories,
}

impl<'a> CategoryFilter<'a> {
    pub fn new(keep: Option<&'a [CategoryId]>, categories: &'a ItemCategories) -> Self {
        CategoryFilter { keep, categories }
    }

    /// Whether the line goes on this printer's ticket.
    pub fn prints(&self, item: &OrderItem) -> bool {
        let Some(keep) = self.keep else {
            return true;
        };
        self.categories
            .of(item)
            .is_some_and(|c| keep.iter().any(|k| k.as_str() == c))
    }

    /// Whether this printer has anything of the order to print.
    pub fn prints_any(&self, order: &Order) -> bool {
        self.keep.is_none() || order.items.iter().any(|i| self.prints(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(menu_item: Option<&str>) -> OrderItem {
        OrderItem {
            menu_item_id: menu_item.map(str::to_owned),
            name: "x".into(),
            quantity: 1,
            unit_price: 0,
            options: vec![],
            line_total: 0,
        }
    }

    #[test]
    fn a_filter_keeps_the_lines_of_its_categories_only() {
        let food = CategoryId::from_stored("cat_food".into());
        let categories = ItemCategories::from_pairs([
            ("item_bibimbap".to_owned(), "cat_food".to_owned()),
            ("item_latte".to_owned(), "cat_drinks".to_owned()),
        ]);
        let keep = [food];
        let kitchen = CategoryFilter::new(Some(&keep), &categories);
        assert!(kitchen.prints(&line(Some("item_bibimbap"))));
        assert!(!kitchen.prints(&line(Some("item_latte"))));
        assert!(!kitchen.prints(&line(Some("item_gone"))));
        assert!(!kitchen.prints(&line(None)));
        let all = CategoryFilter::new(None, &categories);
        assert!(all.prints(&line(None)));
        assert!(all.prints(&line(Some("item_gone"))));
    }
}
