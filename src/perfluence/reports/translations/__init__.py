"""Message catalogs of the campaign report, one dict per language (en, da, sv, nb)."""
