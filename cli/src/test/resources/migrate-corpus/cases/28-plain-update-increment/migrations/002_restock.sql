UPDATE products SET stock = stock + 10 WHERE price < 50;
