-- *.tsn files are tensen rule files.
vim.filetype.add({ extension = { tsn = "tensen" } })
