module hush.local/goregexp-oracle

go 1.25
