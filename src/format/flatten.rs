//! sops' flattening of the metadata tree for dotenv and INI (`stores/flatten.go`):
//! a map step appends `__map_<key>`, a list step `__list_<index>`.
