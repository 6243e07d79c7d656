"""The Streamlit dashboard of ganlab (the library itself never imports Streamlit)."""
