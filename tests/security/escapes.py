"""A corpus of known Python sandbox escapes and resource bombs, as analysts could write them.

Each escape is a script whose work ends in ``leak = ...``; where that fits in one expression
it is also usable as a gateway condition, a service-task parameter and a timer expression
(``expression``). An escape succeeds if it runs to the end: every one must instead be refused
(at deploy where the source shows it, else at run time). Where a payload would act, it writes
the canary file CANARY (the tests substitute a real path) or imports a module.

Two parts:
- NAMED: the classics, by family (frames via generators/coroutines/async generators/
  tracebacks, str.format and format_map, __builtins__/globals()/vars(), class-hierarchy walks,
  computed getattr, decorators and lambda defaults, huge values, endless loops, recursion);
- GENERATED: every way to reach an object x every way to read an attribute by name x every
  attribute an escape needs (frames, code, globals, class hierarchy, bound self, ...).
"""
from dataclasses import dataclass

CANARY = "CANARY"
IMPORT = '__import__("os").system("touch CANARY")'


@dataclass(frozen=True)
class Escape:
    name: str
    script: str

    @property
    def expression(self) -> str | None:
        """The escape as one expression, if the script is a single ``leak = <expr>``."""
        lines = self.script.strip().splitlines()
        if len(lines) == 1 and lines[0].startswith("leak = "):
            return lines[0][len("leak = "):]
        return None

    def with_canary(self, path: str) -> "Escape":
        return Escape(self.name, self.script.replace(CANARY, path))


def _e(name, *lines):
    return Escape(name, "\n".join(lines))


GEN = "(i for i in [1])"
BOMB_LIST = ("a = [1]", "for i in range(80):", "    a = [a, a]",
             "b = [1]", "for i in range(80):", "    b = [b, b]")

NAMED = [
    # frames through generators, coroutines, async generators and tracebacks
    _e("generator_frame_walk", f"g = {GEN}", "b = g.gi_frame.f_back.f_globals['__builtins__']",
       f"leak = b['__import__']('os').system('touch {CANARY}')"),
    _e("generator_frame_no_underscore", f"leak = {GEN}.gi_frame.f_back.f_globals"),
    _e("generator_code", f"leak = {GEN}.gi_code"),
    _e("generator_frame_via_format", f"leak = '{{0.gi_frame.f_back.f_globals}}'.format({GEN})"),
    _e("generator_send_throw", f"g = {GEN}", "leak = g.throw(g.send(None))"),
    _e("coroutine_frame", "async def c():", "    pass", "leak = c().cr_frame.f_back.f_globals"),
    _e("coroutine_frame_via_await", "async def c():", "    await c()", "leak = c().cr_await"),
    _e("async_generator_frame", "async def a():", "    yield 1", "leak = a().ag_frame.f_back"),
    _e("generator_function_frame", "def g():", "    yield 1", "leak = g().gi_frame"),
    _e("traceback_frame", "try:", "    1 / 0", "except Exception as e:",
       "    leak = e.__traceback__.tb_frame.f_back.f_globals"),
    _e("traceback_with_traceback", "try:", "    1 / 0", "except ZeroDivisionError as e:",
       "    leak = e.with_traceback(None)"),
    _e("traceback_sys_exc_info", "try:", "    1 / 0", "except:", "    leak = sys.exc_info()"),
    _e("traceback_bare_raise_catch", "try:", "    leak = [].pop()", "except:", "    raise"),
    _e("exception_group", "try:", "    pass", "except* ValueError:", "    pass", "leak = 1"),
    # str.format / format_map / f-strings reading attributes by name
    _e("format_class_walk", "leak = '{0.__class__.__mro__[1].__subclasses__}'.format(1)"),
    _e("format_globals_of_function", "leak = '{0.__globals__}'.format(lambda: 0)"),
    _e("format_map_init_globals", "leak = '{x.__init__.__globals__}'.format_map({'x': len})"),
    _e("format_map_no_underscore", f"leak = '{{g.gi_frame.f_globals}}'.format_map({{'g': {GEN}}})"),
    _e("format_via_method_reference", "f = 'x{0.gi_code}'.format", f"leak = f({GEN})"),
    _e("fstring_attribute", "leak = f'{(lambda: 0).__globals__}'"),
    _e("fstring_huge_width", "leak = f'{1:>999999999}'"),
    _e("fstring_computed_width", "w = 999999999", "leak = f'{1:>{w}}'"),
    _e("percent_format_width", "leak = '%999999999d' % 1"),
    _e("percent_format_mapping", "leak = '%(a)s' % {'a': 1}"),
    # __builtins__, globals(), vars(), locals(), dir()
    _e("builtins_subscript", f"leak = __builtins__['__import__']('os').system('touch {CANARY}')"),
    _e("builtins_name", "leak = __builtins__"),
    _e("globals_subscript", "leak = globals()['__builtins__']['open']"),
    _e("vars_subscript", "leak = vars()['__builtins__']"),
    _e("locals_call", "leak = locals()"),
    _e("dir_call", "leak = dir()"),
    _e("import_statement", "import os", f"leak = os.system('touch {CANARY}')"),
    _e("import_from", "from os import system", f"leak = system('touch {CANARY}')"),
    _e("dunder_import", f"leak = {IMPORT}"),
    _e("open_file", f"leak = open('{CANARY}', 'w').write('x')"),
    _e("exec_call", "exec('import os')", "leak = 1"),
    _e("eval_call", "leak = eval('1')"),
    _e("compile_call", "leak = compile('1', 'x', 'eval')"),
    _e("breakpoint_call", "leak = breakpoint()"),
    # class-hierarchy walks
    _e("tuple_class_subclasses", "leak = ().__class__.__bases__[0].__subclasses__()"),
    _e("type_mro", "leak = type(1).mro()[1].__subclasses__()"),
    _e("object_subclasses", "leak = object.__subclasses__()"),
    _e("builtin_type_mro", "leak = str.mro()"),
    _e("builtin_type_attribute", "leak = dict.fromkeys"),
    _e("class_statement", "class A:", "    pass", "leak = A.mro()"),
    _e("metaclass_keyword", "class A(metaclass=type):", "    pass", "leak = A"),
    _e("builtin_self_module", "leak = len.__self__.open"),
    _e("method_self", "leak = 'x'.upper.__self__"),
    # getattr with computed names
    _e("getattr_computed", "leak = getattr(1, '__cl' + 'ass__')"),
    _e("getattr_from_data", "name = 'gi_' + 'frame'", f"leak = getattr({GEN}, name)"),
    _e("setattr_call", "leak = setattr(len, 'x', 1)"),
    _e("subscript_attribute_name", f"leak = {GEN}['gi_frame']"),
    _e("dict_of_function", "f = lambda: 0", "leak = vars(f)"),
    # decorators and lambdas abusing defaults
    _e("decorator_returns_globals", "def grab(f):", "    return f.func_globals", "@grab",
       "def g():", "    pass", "leak = g"),
    _e("decorator_dunder_globals", "@(lambda f: f.__globals__)", "def g():", "    pass", "leak = g"),
    _e("decorator_builtins_module", "@len.__self__.open", "def g():", "    pass", "leak = g"),
    _e("lambda_default_generator", f"leak = (lambda g={GEN}: g.gi_frame)()"),
    _e("lambda_default_format", f"leak = (lambda g={GEN}: '{{0.gi_frame}}'.format(g))()"),
    _e("lambda_default_builtin", "leak = (lambda b=len: b.__self__)()"),
    _e("def_default_closure", "def f(x=[]):", "    return x", "leak = f.__defaults__"),
    _e("lambda_code_object", "leak = (lambda: 0).__code__.co_consts"),
    _e("function_closure", "def f():", "    y = 1", "    return lambda: y", "leak = f().__closure__"),
    # huge allocations
    _e("huge_string_repeat", "leak = 'x' * 10 ** 10"),
    _e("huge_list_repeat", "leak = [0] * 10 ** 9"),
    _e("huge_power", "leak = 10 ** 10 ** 8"),
    _e("huge_shift", "leak = 1 << 10 ** 9"),
    _e("huge_ljust", "leak = 'x'.ljust(10 ** 9)"),
    _e("huge_zfill", "leak = '1'.zfill(10 ** 9)"),
    _e("huge_join", "leak = ','.join(['x' * 50000] * 100000)"),
    _e("huge_replace", "leak = ('a' * 50000).replace('', 'b' * 50000)"),
    _e("huge_range_list", "leak = list(range(10 ** 9))"),
    _e("huge_sorted_range", "leak = sorted(range(10 ** 9))"),
    _e("huge_star_args", "leak = max(*range(10 ** 9))"),
    _e("huge_star_display", "leak = [*range(10 ** 9)]"),
    _e("huge_round", "leak = round(1, -10 ** 9)"),
    _e("doubling_list", "x = [1]", "while True:", "    x = x + x", "leak = x"),
    _e("doubling_inplace", "x = [1]", "while True:", "    x += x", "leak = x"),
    _e("growing_list_of_strings", "l = []", "for i in range(100000):", "    l.append('x' * 100000)",
       "leak = l"),
    _e("extend_from_generator", "l = []", "l.extend(i for i in range(10 ** 12))", "leak = l"),
    _e("inplace_from_range", "l = []", "l += range(10 ** 12)", "leak = l"),
    _e("slice_assignment", "l = [1]", "l[:] = range(10 ** 12)", "leak = l"),
    _e("alias_bomb_compare", *BOMB_LIST, "leak = a == b"),
    _e("alias_bomb_contains", *BOMB_LIST, "leak = a in [b]"),
    _e("alias_bomb_str", *BOMB_LIST, "leak = str(a)"),
    _e("alias_bomb_fstring", *BOMB_LIST, "leak = f'{a}'"),
    _e("alias_bomb_sort", *BOMB_LIST, "l = [a, b]", "l.sort()", "leak = l"),
    _e("alias_bomb_stored", *BOMB_LIST, "leak = a"),
    _e("alias_bomb_assert", *BOMB_LIST, "assert False, a"),
    _e("alias_bomb_hash", "t = (1,)", "for i in range(80):", "    t = (t, t)", "leak = {t}"),
    _e("alias_bomb_dict_key", "t = (1,)", "for i in range(80):", "    t = (t, t)", "d = {}",
       "d[t] = 1", "leak = d"),
    _e("alias_bomb_isinstance", "t = (int,)", "for i in range(80):", "    t = (t, t)",
       "leak = isinstance(1, t)"),
    _e("alias_bomb_walrus", "leak = [a := [1]] and [(a := [a, a]) for i in range(80)] and a == [[2]]"),
    _e("self_reference_stored", "l = []", "l.append(l)", "leak = l"),
    # endless loops and deep recursion
    _e("endless_while", "while True:", "    pass"),
    _e("endless_for_range", "for i in range(10 ** 12):", "    pass"),
    _e("endless_swallowing_except", "while True:", "    try:", "        while True:",
       "            pass", "    except:", "        pass"),
    _e("endless_comprehension", "leak = [i for i in range(10 ** 12)]"),
    _e("endless_generator_sum", "leak = sum(i for i in range(10 ** 12))"),
    _e("endless_sum_range", "leak = sum(range(10 ** 15))"),
    _e("endless_any", "leak = any(False for i in range(10 ** 12))"),
    _e("endless_nested_comprehension", "leak = len([1 for i in range(10 ** 4) for j in range(10 ** 4)])"),
    _e("deep_recursion", "def f(n):", "    return f(n + 1)", "leak = f(0)"),
    _e("lambda_recursion", "f = lambda n: f(n + 1)", "leak = f(0)"),
    _e("exponential_recursion", "def f(n):", "    return 1 if n > 40 else f(n + 1) + f(n + 1)",
       "leak = f(0)"),
    _e("recursion_in_sort_key", "def k(x):", "    return sorted([1, 2], key=k)", "leak = k(1)"),
    _e("deeply_nested_source", "leak = " + "1 + " * 5000 + "1"),
    _e("huge_source", *["x = 1"] * 5000, "leak = x"),
    _e("print_statement", "print('x')", "leak = 1"),
    _e("global_statement", "def f():", "    global leak", "    leak = 1", "f()"),
]

# --- generated: reach an object, read an attribute by name -----------------------------------

OBJECTS = {
    "generator": GEN, "lambda": "(lambda: 0)", "builtin": "len", "type": "str",
    "method": "'x'.upper", "view": "{'a': 1}.keys()", "range": "range(3)",
    "enumerate": "enumerate([1])", "string": "'x'", "integer": "1", "dict": "{'a': 1}",
    "list": "[1]",
}
ACCESSES = {
    "dot": "({obj}).{attr}",
    "format": "'{{0.{attr}}}'.format({obj})",
    "format_map": "'{{o.{attr}}}'.format_map({{'o': {obj}}})",
    "getattr": "getattr({obj}, '{attr}')",
    "getattr_computed": "getattr({obj}, '{head}' + '{tail}')",
    "vars": "vars({obj})['{attr}']",
    "subscript": "({obj})['{attr}']",
    "fstring": 'f"{{({obj}).{attr}}}"',
}
ATTRIBUTES = [
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "ag_frame", "tb_frame", "f_back",
    "f_globals", "f_locals", "f_builtins", "f_code", "co_code", "func_globals",
    "__globals__", "__builtins__", "__class__", "__mro__", "__bases__", "__subclasses__",
    "__self__", "__dict__", "__code__", "__closure__", "__init__", "__reduce_ex__",
    "__getattribute__", "__module__", "mro", "format", "format_map", "with_traceback",
    "send", "throw",
]


def generated() -> list[Escape]:
    """Every object x access x attribute, each as ``leak = [<access>, 0][1]``: the leak is 0
    only if the access succeeded, so a refused access is the only way to fail."""
    cases = []
    for oname, obj in OBJECTS.items():
        for aname, access in ACCESSES.items():
            for attr in ATTRIBUTES:
                code = access.format(obj=obj, attr=attr, head=attr[:2], tail=attr[2:])
                cases.append(Escape(f"{oname}-{aname}-{attr}", f"leak = [{code}, 0][1]"))
    return cases


def named_with_expressions() -> list[Escape]:
    return [e for e in NAMED if e.expression is not None]
