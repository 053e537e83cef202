"""Name, place and organisation pools for the synthetic association (messy on purpose)."""

from __future__ import annotations

import unicodedata


def _pool(text: str) -> list[str]:
    """Split a semicolon-separated pool (kept as text so the formatter keeps it compact)."""
    return [p.strip() for p in text.split(";") if p.strip()]


def _pairs(text: str) -> dict[str, str]:
    """Split a semicolon-separated ``a=b`` pool into a mapping."""
    return dict(p.split("=", 1) for p in _pool(text))


# First names: common English names beside accented and non-English ones, so that matching,
# sorting and e-mail handling meet diacritics, and look-alike pairs (Jon/John) exist.
FIRST_NAMES = _pool(
    """
James; John; Jon; Jonathan; Robert; Michael; William; David; Richard; Joseph; Thomas;
Charles; Christopher; Daniel; Matthew; Anthony; Mark; Steven; Paul; Andrew; Joshua; Kevin;
Brian; George; Timothy; Ronald; Jason; Ryan; Jacob; Gary; Eric; Stephen; Larry; Justin;
Scott; Brandon; Mary; Patricia; Jennifer; Linda; Elizabeth; Barbara; Susan; Jessica; Sarah;
Karen; Lisa; Nancy; Betty; Margaret; Sandra; Ashley; Kimberly; Emily; Donna; Michelle;
Carol; Amanda; Melissa; Deborah; Stephanie; Rebecca; Sharon; Laura; Cynthia; Kathleen;
Katherine; Catherine; Amy; Angela; Anna; Priya; Wei; Hiroshi; Aisha; Fatima; Mohammed;
Omar; Mei; Raj; Chen; Olga; Ivan; Sven; Ingrid; Kwame; Ngozi; Thabo; Ana; Lucía; Carlos;
José; Zoë; Renée; Chloé; Björn; Søren; Łukasz; Siân; François; Inês; Núria; Jürgen; Mónica;
Agnès; Anaïs; Ramón; Sebastián; Václav; Maëlle; Hélène; Göran; Ærin; Małgorzata; Nguyệt;
Zoé; André; Joël; Øystein
"""
)

LAST_NAMES = _pool(
    """
Smith; Johnson; Williams; Brown; Jones; Miller; Davis; Wilson; Anderson; Taylor; Thomas;
Moore; Jackson; Martin; Lee; Thompson; White; Harris; Clark; Lewis; Robinson; Walker;
Young; Allen; King; Wright; Scott; Hill; Green; Adams; Baker; Nelson; Carter; Mitchell;
Roberts; Turner; Phillips; Campbell; Parker; Evans; Edwards; Collins; Stewart; Morris;
Rogers; Reed; Cook; Morgan; Bell; Murphy; Bailey; Cooper; Richardson; Cox; Howard; Ward;
Peterson; Gray; James; Watson; Brooks; Kelly; Sanders; Price; Bennett; Wood; Barnes; Ross;
Henderson; Coleman; Jenkins; Perry; Powell; Patel; Shah; Kim; Park; Wang; Zhang; Li; Chen;
Tanaka; Sato; Singh; Kumar; Okafor; Mensah; Ivanova; Petrov; Larsen; Hansen; Novak;
O'Brien; O'Connor; O'Neill; D'Angelo; D'Souza; Smith-Jones; Lloyd-Webber; Ruiz-Torres;
Müller; Schröder; Groß; García; Martínez; Fernández; López; Gómez; Núñez; Nguyễn; Trần;
Østergaard; Kowalczyk; Wiśniewski; Dvořák; Şahin; Y\u0131lmaz; Brontë; Lefèvre; Beaulieu; Côté;
MacDonald; McAllister; van der Berg; De La Cruz; St. John; Ó Súilleabháin; Ng; Sørensen;
Åkesson
"""
)

MIDDLE_INITIALS = list("ABCDEFGHJKLMNPRSTW")

# Informal names and the alternate spellings that make two records of one person look alike.
NICKNAMES = _pairs(
    """
Jonathan=Jon; John=Jack; William=Bill; Robert=Bob; Richard=Rick; Michael=Mike;
Elizabeth=Liz; Katherine=Kate; Catherine=Cathy; Margaret=Maggie; Christopher=Chris;
Joseph=Joe; Thomas=Tom; Daniel=Dan; Matthew=Matt; Anthony=Tony; Stephen=Steve;
Steven=Steve; Timothy=Tim; Rebecca=Becky; Deborah=Deb; Jennifer=Jen; Andrew=Andy;
Kimberly=Kim; Patricia=Pat; Susan=Sue; Zoë=Zoe; José=Pepe
"""
)
LOOKALIKE_FIRST = _pairs(
    """
John=Jon; Jon=John; Catherine=Katherine; Katherine=Catherine; Steven=Stephen;
Stephen=Steven; Zoë=Zoe; José=Jose; Renée=Renee; Chloé=Chloe; Sarah=Sara; Michael=Micheal;
Brian=Bryan; Ana=Anna
"""
)
LOOKALIKE_LAST = _pairs(
    """
Müller=Mueller; O'Brien=OBrien; Smith-Jones=Smith Jones; García=Garcia; Schröder=Schroeder;
MacDonald=McDonald; D'Angelo=DAngelo; Núñez=Nunez
"""
)

PREFIXES = ["", "Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx."]
PREFIX_WEIGHTS = [0.28, 0.25, 0.22, 0.08, 0.12, 0.03, 0.02]
SUFFIXES = ["", "Jr.", "Sr.", "II", "III", "IV", "PhD", "CPA"]
SUFFIX_WEIGHTS = [0.93, 0.025, 0.01, 0.008, 0.007, 0.002, 0.012, 0.006]

JOB_TITLES = _pool(
    """
Engineer; Senior Engineer; Project Manager; Director; Vice President; Analyst; Consultant;
Principal; Associate; Partner; Program Officer; Chief Executive; Research Scientist;
Office Manager; Controller; Specialist; Coordinator
"""
)

ORG_CORES = _pool(
    """
Northwind; Contoso; Fabrikam; Tailspin; Wingtip; Litware; Adatum; Proseware; Bergström;
Lumière; O'Reilly; Coho; Alpine; Blue Yonder; Woodgrove; Trey; Humongous; Lucerne;
Margie's; Fourth Coffee; Graphic; Relecloud; Southridge; Wide World; Datum; Nod;
Müller & Söhne; Café Québec; Høgskolen; Ironwood; Redwood; Summit; Harbor; Keystone;
Pinnacle; Meridian; Cascade
"""
)
ORG_KINDS = _pool(
    """
Engineering; Consulting; Health; Partners; Associates; Labs; Group; Systems; Architects;
Foundation; University; Hospital; Design; Energy
"""
)
ORG_FORMS = ["Inc.", "LLC", "Ltd.", "Corp.", "GmbH", "", "", "S.A.", "LLP", "Co."]

STREETS = _pool(
    """
Main St; Oak Ave; Maple Dr; Cedar Ln; Pine St; Elm St; Washington Blvd; Lake Shore Dr;
Park Ave; Rue Saint-Denis; Sherbrooke St W; Market St; Congress Ave; Peachtree St NE;
Michigan Ave; Broadway; King St W; Yonge St; Colfax Ave; Pearl St; High St; Church Rd;
Mill Rd; Riverside Dr; Sunset Blvd
"""
)

# (state code, state name, country code, cities, postal code stem)
REGIONS = [
    ("MA", "Massachusetts", "US", ["Boston", "Cambridge", "Worcester"], "021"),
    ("NY", "New York", "US", ["New York", "Buffalo", "Albany", "Rochester"], "100"),
    ("NJ", "New Jersey", "US", ["Newark", "Princeton", "Jersey City"], "071"),
    ("PA", "Pennsylvania", "US", ["Philadelphia", "Pittsburgh", "Harrisburg"], "191"),
    ("MD", "Maryland", "US", ["Baltimore", "Bethesda", "Annapolis"], "212"),
    ("VA", "Virginia", "US", ["Alexandria", "Richmond", "Arlington"], "223"),
    ("NC", "North Carolina", "US", ["Raleigh", "Charlotte", "Durham"], "276"),
    ("GA", "Georgia", "US", ["Atlanta", "Savannah", "Athens"], "303"),
    ("FL", "Florida", "US", ["Miami", "Orlando", "Tampa", "Jacksonville"], "331"),
    ("OH", "Ohio", "US", ["Columbus", "Cleveland", "Cincinnati"], "432"),
    ("MI", "Michigan", "US", ["Detroit", "Ann Arbor", "Grand Rapids"], "482"),
    ("IL", "Illinois", "US", ["Chicago", "Evanston", "Springfield"], "606"),
    ("WI", "Wisconsin", "US", ["Milwaukee", "Madison"], "532"),
    ("MN", "Minnesota", "US", ["Minneapolis", "Saint Paul", "Duluth"], "554"),
    ("MO", "Missouri", "US", ["St. Louis", "Kansas City"], "631"),
    ("TX", "Texas", "US", ["Austin", "Houston", "Dallas", "San Antonio"], "787"),
    ("CO", "Colorado", "US", ["Denver", "Boulder", "Colorado Springs"], "802"),
    ("AZ", "Arizona", "US", ["Phoenix", "Tucson", "Tempe"], "850"),
    ("UT", "Utah", "US", ["Salt Lake City", "Provo"], "841"),
    ("CA", "California", "US", ["San Francisco", "Los Angeles", "San José", "San Diego"], "941"),
    ("OR", "Oregon", "US", ["Portland", "Eugene", "Salem"], "972"),
    ("WA", "Washington", "US", ["Seattle", "Spokane", "Tacoma"], "981"),
    ("TN", "Tennessee", "US", ["Nashville", "Memphis", "Knoxville"], "372"),
    ("LA", "Louisiana", "US", ["New Orleans", "Baton Rouge"], "701"),
    ("ON", "Ontario", "CA", ["Toronto", "Ottawa", "Hamilton"], "M5V"),
    ("QC", "Québec", "CA", ["Montréal", "Québec", "Trois-Rivières"], "H2X"),
    ("BC", "British Columbia", "CA", ["Vancouver", "Victoria"], "V6B"),
]
COUNTRY_NAMES = {"US": "United States", "CA": "Canada"}

# Regional chapters: code, name, region state codes. The sandbox uses the first 15-25.
CHAPTERS = [
    ("NEWENG", "New England Chapter", ["MA"]),
    ("NYMETRO", "New York Metro Chapter", ["NY"]),
    ("GARDEN", "Garden State Chapter", ["NJ"]),
    ("KEYSTONE", "Keystone Chapter", ["PA"]),
    ("CAPITAL", "Capital Area Chapter", ["MD", "VA"]),
    ("CAROLINA", "Carolinas Chapter", ["NC"]),
    ("SOUTHEAST", "Southeast Chapter", ["GA", "TN"]),
    ("FLORIDA", "Florida Chapter", ["FL"]),
    ("GREATLAKES", "Great Lakes Chapter", ["OH", "MI"]),
    ("CHICAGO", "Chicagoland Chapter", ["IL", "WI"]),
    ("NORTHSTAR", "North Star Chapter", ["MN"]),
    ("GATEWAY", "Gateway Chapter", ["MO"]),
    ("LONESTAR", "Lone Star Chapter", ["TX"]),
    ("ROCKIES", "Rocky Mountain Chapter", ["CO", "UT"]),
    ("DESERT", "Desert Southwest Chapter", ["AZ"]),
    ("NORCAL", "Northern California Chapter", ["CA"]),
    ("CASCADIA", "Cascadia Chapter", ["OR", "WA"]),
    ("GULF", "Gulf Coast Chapter", ["LA"]),
    ("ONTARIO", "Ontario Chapter", ["ON"]),
    ("QUEBEC", "Section du Québec", ["QC"]),
    ("PACIFICNW", "Pacific Canada Chapter", ["BC"]),
    ("SOCAL", "Southern California Chapter", ["CA"]),
    ("UPSTATE", "Upstate New York Chapter", ["NY"]),
    ("TEXASGULF", "Texas Gulf Chapter", ["TX"]),
    ("MIDATL", "Mid-Atlantic Chapter", ["VA", "MD"]),
]

COMMITTEES = [
    ("COMMITTEE/AWARDS", "Awards Committee"),
    ("COMMITTEE/EDUCATION", "Education Committee"),
    ("COMMITTEE/MEMBERSHIP", "Membership Committee"),
    ("COMMITTEE/STANDARDS", "Standards Committee"),
    ("COMMITTEE/CONFERENCE", "Annual Conference Committee"),
    ("COMMITTEE/ETHICS", "Ethics Committee"),
    ("COMMITTEE/FINANCE", "Finance Committee"),
    ("COMMITTEE/DEI", "Diversity, Equity & Inclusion Committee"),
]

STAFF_USERS = [
    ("mreyes", "Membership Director"),
    ("jkowalski", "Account Manager"),
    ("aokafor", "Account Manager"),
    ("lchen", "Chapter Liaison"),
    ("sbrennan", "Chapter Liaison"),
    ("dmuller", "Corporate Relations"),
    ("tnguyen", "Member Engagement"),
    ("pgarcia", "Member Engagement"),
]

EMAIL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "aol.com"]

_FOLD = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "ß": "ss",
        "æ": "ae",
        "Æ": "Ae",
        "đ": "d",
        "\u0131": "i",
        "'": "",
        " ": "",
        ".": "",
        "&": "",
    }
)


def ascii_fold(text: str) -> str:
    """Lower-case ASCII form for e-mail local parts and domains (José O'Brien -> joseobrien)."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return folded.encode("ascii", "ignore").decode("ascii").lower().replace("-", "")


def sort_key(text: str) -> str:
    """Accent-free form used for the iMIS ``Sort`` column."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
