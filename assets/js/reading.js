/* js/reading.js: see _config.yml (filled in by the site work of issues 17 and 19). */
