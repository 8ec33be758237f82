// Package chart draws the report's charts with gonum.org/v1/plot —
// horizontal (stacked) bars, box plots, dot plots with intervals and line
// charts — as PNG and SVG, each with a title, units, a legend outside the
// data, one colour per runtime and a log scale when values span more than
// ten times.
package chart
