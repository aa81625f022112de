from toolenv.naming import function_name, standardize


def test_standardize_follows_toolbench():
    assert standardize("Stock Quotes") == "stock_quotes"
    assert standardize("  Get--Quote!! ") == "get_quote"
    assert standardize("123 data") == "get_123_data"


def test_function_name_joins_api_and_tool():
    assert function_name("get_quote", "stock_quotes") == "get_quote_for_stock_quotes"
    assert function_name("id", "Lookup") == "is_id_for_lookup"  # ToolBench's reserved-word rename
    assert len(function_name("a" * 80, "b")) == 64
