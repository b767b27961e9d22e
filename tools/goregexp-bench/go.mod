module hush.local/goregexp-bench

go 1.25
