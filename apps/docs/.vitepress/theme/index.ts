// The default VitePress theme plus the few styles the live pages share (tables of entries, the
// pfn map). A theme/ folder must never be left empty: VitePress would look for a custom theme.
import DefaultTheme from "vitepress/theme";
import "./live.css";

export default DefaultTheme;
