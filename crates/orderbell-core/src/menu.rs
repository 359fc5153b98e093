//! The menu: ordered categories, items with prices in minor units, option groups with a
//! minimum and maximum number of choices, and options with a price added to the item's.

use serde::{Deserialize, Serialize};

use crate::{CategoryId, MenuItemId, OptionGroupId, OptionId, ValidationErrors};

/// The highest price (or option price) a menu entry may have, in minor units.
pub const MAX_PRICE: i64 = 100_000_000;
/// Longest name of a category, item, option group or option, in characters.
pub const NAME_MAX: usize = 200;
/// Longest item description, in characters.
pub const DESCRIPTION_MAX: usize = 1000;
/// Largest `position`.
pub const POSITION_MAX: i64 = 1_000_000;
/// Most options a group may ask for (`min` 0 to this, `max` 1 to this).
pub const GROUP_CHOICES_MAX: i64 = 50;
/// Most entries of each kind a menu may hold (categories, items, groups per item, options per group).
pub const MAX_ENTRIES: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Menu {
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub position: i64,
    pub items: Vec<MenuItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MenuItem {
    pub id: MenuItemId,
    pub category_id: CategoryId,
    pub name: String,
    pub description: Option<String>,
    /// Minor units of the shop's currency.
    pub price: i64,
    pub sold_out: bool,
    /// Off the guest page and not orderable by guests (kept for later, unlike a deletion).
    pub hidden: bool,
    pub position: i64,
    /// The item's photo, a path on this server (`/media/items/{id}/{digest}.jpg`) that never
    /// changes content: a new photo gets a new path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    pub option_groups: Vec<OptionGroup>,
}

impl MenuItem {
    /// The path of an item's photo with this digest.
    pub fn photo_path(id: &MenuItemId, digest: &str) -> String {
        format!("/media/items/{id}/{digest}.jpg")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OptionGroup {
    pub id: OptionGroupId,
    pub item_id: MenuItemId,
    pub name: String,
    /// Fewest options a guest must choose (0 = optional).
    pub min: i64,
    /// Most options a guest may choose.
    pub max: i64,
    pub position: i64,
    pub options: Vec<MenuOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MenuOption {
    pub id: OptionId,
    pub group_id: OptionGroupId,
    pub name: String,
    /// Added to the item's price, minor units.
    pub price: i64,
    pub sold_out: bool,
    pub position: i64,
}

impl Menu {
    /// Leaves out the items hidden from guests.
    pub fn hide_from_guests(&mut self) {
        for c in &mut self.categories {
            c.items.retain(|i| !i.hidden);
        }
    }

    pub fn item(&self, id: &str) -> Option<&MenuItem> {
        self.categories
            .iter()
            .flat_map(|c| &c.items)
            .find(|i| i.id.as_str() == id)
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id.as_str() == id)
    }

    pub fn option_group(&self, id: &str) -> Option<&OptionGroup> {
        self.categories
            .iter()
            .flat_map(|c| &c.items)
            .flat_map(|i| &i.option_groups)
            .find(|g| g.id.as_str() == id)
    }

    pub fn option(&self, id: &str) -> Option<&MenuOption> {
        self.categories
            .iter()
            .flat_map(|c| &c.items)
            .flat_map(|i| &i.option_groups)
            .flat_map(|g| &g.options)
            .find(|o| o.id.as_str() == id)
    }
}

/// A menu entry that has a place among its siblings: a category in the menu, an item in its
/// category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuEntry {
    Category(CategoryId),
    Item(MenuItemId),
}

/// Create or change a category. On create, `name` is required.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub name: Option<String>,
    pub position: Option<i64>,
}

/// Create or change a menu item. On create, `category_id`, `name` and `price` are required.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub category_id: Option<String>,
    pub name: Option<String>,
    /// An empty string removes the description.
    pub description: Option<String>,
    pub price: Option<i64>,
    pub sold_out: Option<bool>,
    /// Hidden from guests (the guest page and guest orders).
    pub hidden: Option<bool>,
    pub position: Option<i64>,
}

/// Create or change an option group. On create, `name` is required; `min` defaults to 0 and
/// `max` to 1.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionGroupInput {
    pub name: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub position: Option<i64>,
}

/// Create or change an option. On create, `name` is required; `price` defaults to 0.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionInput {
    pub name: Option<String>,
    pub price: Option<i64>,
    pub sold_out: Option<bool>,
    pub position: Option<i64>,
}

/// Checked changes, as the store applies them. `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryChange {
    pub name: Option<String>,
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemChange {
    pub category_id: Option<CategoryId>,
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub price: Option<i64>,
    pub sold_out: Option<bool>,
    pub hidden: Option<bool>,
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionGroupChange {
    pub name: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionChange {
    pub name: Option<String>,
    pub price: Option<i64>,
    pub sold_out: Option<bool>,
    pub position: Option<i64>,
}

fn check_position(errors: &mut ValidationErrors, position: Option<i64>) -> Option<i64> {
    let p = position?;
    errors.range("position", p, 0, POSITION_MAX).then_some(p)
}

fn check_name(errors: &mut ValidationErrors, name: Option<&str>, creating: bool) -> Option<String> {
    if name.is_none() && !creating {
        return None;
    }
    errors.text("name", name, true, NAME_MAX)
}

impl CategoryInput {
    pub fn validate(&self, creating: bool) -> Result<CategoryChange, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = check_name(&mut errors, self.name.as_deref(), creating);
        let position = check_position(&mut errors, self.position);
        errors.into_result()?;
        Ok(CategoryChange { name, position })
    }
}

impl ItemInput {
    pub fn validate(&self, creating: bool) -> Result<ItemChange, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let category_id = match &self.category_id {
            Some(id) => {
                let parsed = CategoryId::parse(id);
                if parsed.is_none() {
                    errors.add("category_id", "unknown", "no such category");
                }
                parsed
            }
            None => {
                if creating {
                    errors.add("category_id", "required", "category_id is required");
                }
                None
            }
        };
        let name = check_name(&mut errors, self.name.as_deref(), creating);
        let description = self
            .description
            .as_deref()
            .map(|d| errors.text("description", Some(d), false, DESCRIPTION_MAX));
        let price = match self.price {
            Some(p) => errors.range("price", p, 0, MAX_PRICE).then_some(p),
            None => {
                if creating {
                    errors.add("price", "required", "price is required");
                }
                None
            }
        };
        let position = check_position(&mut errors, self.position);
        errors.into_result()?;
        Ok(ItemChange {
            category_id,
            name,
            description,
            price,
            sold_out: self.sold_out,
            hidden: self.hidden,
            position,
        })
    }
}

impl OptionGroupInput {
    pub fn validate(&self, creating: bool) -> Result<OptionGroupChange, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = check_name(&mut errors, self.name.as_deref(), creating);
        let min = self.min.or(creating.then_some(0));
        let max = self.max.or(creating.then_some(1));
        if let Some(min) = min {
            errors.range("min", min, 0, GROUP_CHOICES_MAX);
        }
        if let Some(max) = max {
            errors.range("max", max, 1, GROUP_CHOICES_MAX);
        }
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                errors.add("min", "out_of_range", "min must not be greater than max");
            }
        }
        let position = check_position(&mut errors, self.position);
        errors.into_result()?;
        Ok(OptionGroupChange {
            name,
            min,
            max,
            position,
        })
    }
}

impl OptionInput {
    pub fn validate(&self, creating: bool) -> Result<OptionChange, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = check_name(&mut errors, self.name.as_deref(), creating);
        let price = self.price.or(creating.then_some(0));
        if let Some(p) = price {
            errors.range("price", p, 0, MAX_PRICE);
        }
        let position = check_position(&mut errors, self.position);
        errors.into_result()?;
        Ok(OptionChange {
            name,
            price,
            sold_out: self.sold_out,
            position,
        })
    }
}

impl OptionGroupChange {
    /// Checks min ≤ max once a partial change is merged with the stored group.
    pub fn check_against(&self, stored: &OptionGroup) -> Result<(), ValidationErrors> {
        let min = self.min.unwrap_or(stored.min);
        let max = self.max.unwrap_or(stored.max);
        if min > max {
            Err(ValidationErrors::single(
                "min",
                "out_of_range",
                "min must not be greater than max",
            ))
        } else {
            Ok(())
        }
    }
}
