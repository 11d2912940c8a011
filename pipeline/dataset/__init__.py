"""What the data stages make of photos: the <split>/ layout, the filter's verdicts, the crops,
and the degradation that turns an HR image into its LR input."""
