# A multiprocessing Pool: spawn (Windows' only method), no freeze_support().
import multiprocessing


def square(x):
    return x * x


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        print(pool.map(square, range(10)))
    print(multiprocessing.get_start_method())
