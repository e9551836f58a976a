"""Company moments (客户朋友圈): compose, schedule, publish through WeCom, track who posted."""
