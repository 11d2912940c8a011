"""Images as numpy arrays: safe decoding and deterministic saving, resizing (MATLAB bicubic),
quality metrics (PSNR/SSIM), the detail measure, scoring beside baselines, pictures and charts."""
