/** Observable Plot figures that display inline in notebooks and save as SVG. @module */
export {};
